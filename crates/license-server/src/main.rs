//! `licensed`: the electronic license sharing platform's server.

#![forbid(unsafe_code)]

mod admin;
mod demo;
mod node;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use license_core::{CertIdentifier, CheckPolicy};

/// Settings shared by every subcommand (flags win over `LICENSED_*` environment variables).
#[derive(Debug, Clone, Args)]
pub struct Opts {
    /// Data directory (SQLite database, files, keys).
    #[arg(
        long,
        global = true,
        env = "LICENSED_DATA_DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,
    /// Database URL (`sqlite://…`, `postgres://…`, `mysql://…`); default SQLite under the data
    /// directory.
    #[arg(long, global = true, env = "LICENSED_DATABASE_URL")]
    pub database_url: Option<String>,
    /// HTTP listen address.
    #[arg(
        long,
        global = true,
        env = "LICENSED_HTTP_ADDR",
        default_value = "127.0.0.1:8040"
    )]
    pub http_addr: String,
    /// Public base URL (download links, QR values); default derived from the HTTP address.
    #[arg(long, global = true, env = "LICENSED_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// `city` or `province`.
    #[arg(long, global = true, env = "LICENSED_ROLE", default_value = "city")]
    pub role: String,
    /// Access-token lifetime, seconds.
    #[arg(
        long,
        global = true,
        env = "LICENSED_TOKEN_TTL_SECS",
        default_value_t = 43_200
    )]
    pub token_ttl_secs: i64,
    /// Download-link lifetime, seconds.
    #[arg(
        long,
        global = true,
        env = "LICENSED_DOWNLOAD_URL_TTL_SECS",
        default_value_t = 600
    )]
    pub download_url_ttl_secs: i64,
}

#[derive(Debug, Parser)]
#[command(
    name = "licensed",
    version,
    about = "Electronic license sharing platform (电子证照共享服务平台)"
)]
struct Cli {
    #[command(flatten)]
    opts: Opts,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Id {
        command: IdCommand::Check { identifier },
    } = &cli.command
    {
        return id_check(identifier);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LICENSED_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
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
            Command::Serve => node::serve(cli.opts).await,
            Command::Demo => demo::run(cli.opts).await,
            Command::Migrate => node::migrate(&cli.opts).await,
            Command::Account { command } => admin::account(&cli.opts, command).await,
            Command::Client { command } => admin::client(&cli.opts, command).await,
            Command::License { command } => admin::license(&cli.opts, command).await,
            Command::Healthcheck => admin::healthcheck(&cli.opts).await,
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
