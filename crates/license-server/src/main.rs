//! `licensed`: the electronic license sharing platform's server.

#![forbid(unsafe_code)]

mod admin;
mod demo;
mod node;
mod settings;
mod transport;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use license_core::{CertIdentifier, CheckPolicy};
pub use settings::Settings;

/// mimalloc rather than the system allocator: SQLite's worker threads (one per pooled
/// connection) allocate and free page buffers all the time, and glibc's arenas spent a fifth of
/// the CPU on it under load (the platform bench: +19 % look-ups, +10 % ShareQueryCertInfo).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "licensed",
    version,
    about = "Electronic license sharing platform (电子证照共享服务平台)"
)]
struct Cli {
    #[command(flatten)]
    flags: settings::Flags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serves the REST API.
    Serve,
    /// Starts a seeded demo node in a fresh directory and prints ready-to-paste commands.
    Demo,
    /// Brings the database schema up to date.
    Migrate,
    /// Parses and validates a GB/T 36904 identifier (exit 1 when invalid).
    Id {
        #[command(subcommand)]
        command: IdCommand,
    },
    /// Manages accounts of business systems.
    Account {
        #[command(subcommand)]
        command: admin::AccountCommand,
    },
    /// Manages OAuth clients.
    Client {
        #[command(subcommand)]
        command: admin::ClientCommand,
    },
    /// Manages licenses.
    License {
        #[command(subcommand)]
        command: admin::LicenseCommand,
    },
    /// Exits 0 when the node at LICENSED_HTTP_ADDR answers /readyz.
    Healthcheck,
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

fn main() -> ExitCode {
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
            Command::Migrate => node::migrate(&opts).await,
            Command::Account { command } => admin::account(&opts, command).await,
            Command::Client { command } => admin::client(&opts, command).await,
            Command::License { command } => admin::license(&opts, command).await,
            Command::Healthcheck => admin::healthcheck(&opts).await,
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
