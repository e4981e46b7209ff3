//! `licensed`: the electronic license sharing platform's server — settings, the wiring of a
//! node ([`node::build`]), its listeners ([`node::serve_on`]) and the subcommands. `main`
//! only picks the allocator and calls [`run`]; tests reach the same wiring through this
//! library.

#![forbid(unsafe_code)]

mod backup;
mod cli;
mod demo;
mod export;
mod import;
pub mod keys;
pub mod node;
pub mod settings;
mod status;
pub mod transport;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use license_core::{CertIdentifier, CheckPolicy};
pub use settings::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "licensed",
    version,
    about = "Electronic license sharing platform (电子证照共享服务平台)"
)]
/// The command line.
struct Cli {
    #[command(flatten)]
    flags: settings::Flags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serves the REST and gRPC APIs.
    Serve,
    /// Starts a seeded demo node in a fresh directory and prints ready-to-paste commands.
    Demo,
    /// Brings the database schema up to date (under a database lock), or with `--status`
    /// lists every migration and whether it is applied.
    Migrate {
        /// List the migrations and whether each is applied; change nothing.
        #[arg(long)]
        status: bool,
    },
    /// Parses and validates a GB/T 36904 identifier (exit 1 when invalid).
    Id {
        #[command(subcommand)]
        command: IdCommand,
    },
    /// Manages accounts of business systems.
    Account {
        #[command(subcommand)]
        command: cli::AccountCommand,
    },
    /// Manages OAuth clients.
    Client {
        #[command(subcommand)]
        command: cli::ClientCommand,
    },
    /// Manages licenses.
    License {
        #[command(subcommand)]
        command: cli::LicenseCommand,
    },
    /// The audit log: export.
    Audit {
        #[command(subcommand)]
        command: cli::AuditCommand,
    },
    /// The node's signing key: the certificate it signs with, or a new key for
    /// `signing_key_file`.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Exits 0 when the node at LICENSED_HTTP_ADDR answers /readyz.
    Healthcheck,
    /// Purges now what has expired: download links and their copies' files, token pairs past
    /// their refresh expiry, lock-out records past their window, audit events past
    /// `audit_retention_days` (archived first) — a serving node does it every
    /// `purge_interval_secs`; one node at a time.
    Purge,
    /// Writes one file holding a consistent copy of the database, every file of the file
    /// store and the node's keys, while the node serves (audited).
    Backup {
        /// The backup file to write (never over an existing file).
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Restores a backup into an empty database and a new data directory (the schema is made;
    /// no `migrate` first); refuses a database that holds data and changes nothing there.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Prints how the node's library is doing, one `name: value` line each: version, role,
    /// database, object store, schema, counts of licenses, accounts, pending pushes and audit
    /// events, the oldest event and the last purge. Changes nothing.
    Status,
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Prints the certificate (PEM) the node signs with, the one `serve` uses (opening the
    /// database as `serve` does; without `signing_key_file` the platform's or the data
    /// directory's key is made if there is none yet): give it to the platforms that should
    /// trust its seal (their `trust_files`).
    Show,
    /// Writes a new private key with its certificate to FILE (mode 0600, never over an
    /// existing file), for `signing_key_file`: every node of one platform signs with it.
    New {
        /// Where to write the PEM.
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum IdCommand {
    /// Checks one identifier.
    Check {
        /// The identifier.
        identifier: String,
    },
}

fn id_check(input: &str) -> ExitCode {
    match CertIdentifier::parse_lenient(input, CheckPolicy::Compatible) {
        Ok(id) => {
            println!("identifier:      {id}");
            println!("type code:       {}", id.type_code());
            println!("issuer code:     {}", id.issuer_code());
            println!("serial:          {}", id.serial());
            println!("version:         {}", id.version());
            println!(
                "check character: {} ({} scheme)",
                id.check_char(),
                id.scheme()
            );
            println!("standard check:  {}", id.standard_check_char());
            for d in id.deviations() {
                println!("deviation:       {d}");
            }
            if id.deviations().is_empty() {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "invalid: the check character holds, but the identifier deviates from the GB/T 36904 grammar"
                );
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("invalid: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs as text or JSON lines; `LICENSED_LOG` overrides the configured filter.
fn init_logs(s: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LICENSED_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&s.log.filter))
        .unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if s.log.format == "json" {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

/// `licensed key show` and `licensed key new`.
async fn key(opts: &Settings, cmd: KeyCommand) -> Result<(), String> {
    match cmd {
        KeyCommand::Show => {
            let store = node::store(opts).await?;
            let key = keys::signing_key(opts, &store).await;
            let _ = store.close().await;
            print!("{}", key?.cert_pem());
            Ok(())
        }
        KeyCommand::New { out } => {
            let (key, pem) = license_file::NodeKey::generate_bundle(
                license_file::engine::NODE_KEY_NAME,
                license_file::engine::NODE_KEY_ORGANIZATION,
            )
            .map_err(|e| e.to_string())?;
            let mut file = std::fs::OpenOptions::new();
            file.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
            let named = |e: std::io::Error| format!("{}: {e}", out.display());
            let mut f = file.open(&out).map_err(named)?;
            std::io::Write::write_all(&mut f, pem.as_bytes()).map_err(named)?;
            f.sync_all().map_err(named)?;
            eprintln!(
                "wrote a key and its certificate (serial {}) to {}",
                key.cert().serial_hex,
                out.display()
            );
            Ok(())
        }
    }
}

/// Runs `licensed` with the process's arguments; the exit status.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Id {
        command: IdCommand::Check { identifier },
    } = &cli.command
    {
        return id_check(identifier);
    }
    let opts = match Settings::resolve(&cli.flags) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("licensed: {e}");
            return ExitCode::FAILURE;
        }
    };
    init_logs(&opts);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("licensed: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve => node::serve(opts).await,
            Command::Demo => demo::run(opts).await,
            Command::Migrate { status } => node::migrate(&opts, status).await,
            Command::Account { command } => cli::account(&opts, command).await,
            Command::Client { command } => cli::client(&opts, command).await,
            Command::License { command } => cli::license(&opts, command).await,
            Command::Audit { command } => cli::audit(&opts, command).await,
            Command::Key { command } => key(&opts, command).await,
            Command::Healthcheck => cli::healthcheck(&opts).await,
            Command::Status => status::print(&opts).await,
            Command::Purge => cli::purge(&opts).await,
            Command::Backup { to } => backup::backup(&opts, &to).await,
            Command::Restore { from } => backup::restore(&opts, &from).await,
            Command::Id { .. } => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("licensed: {e}");
            ExitCode::FAILURE
        }
    }
}
