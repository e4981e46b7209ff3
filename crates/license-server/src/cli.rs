//! Operators' subcommands: accounts, OAuth clients, license import, health check.

use std::io::Read;

use clap::Subcommand;
use license_core::Role;

use crate::Settings;
use crate::node;

/// `licensed account …`.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Creates an account.
    Add {
        /// Login name.
        username: String,
        /// Roles, comma-separated: search, info, view, download, verify, sync, admin.
        #[arg(long)]
        roles: String,
        /// Cert-type codes the account may use, comma-separated (default: all).
        #[arg(long)]
        cert_types: Option<String>,
        /// The password (prefer --password-stdin: arguments show in process lists).
        #[arg(long, conflicts_with = "password_stdin")]
        password: Option<String>,
        /// Reads the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Lists accounts.
    List,
    /// Disables an account and revokes its tokens.
    Disable {
        /// Login name.
        username: String,
    },
    /// Sets an account's password; every token of the account ends.
    Passwd {
        /// Login name.
        username: String,
        /// Reads the new password from standard input (required: arguments show in process
        /// lists).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// `licensed client …`.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Registers an OAuth client.
    Add {
        /// `client_id`.
        client_id: String,
        /// `client_secret`.
        #[arg(long)]
        secret: String,
    },
}

/// `licensed license …`.
#[derive(Debug, Subcommand)]
pub enum LicenseCommand {
    /// Imports licenses from a JSON Lines file.
    Import {
        /// The file.
        file: std::path::PathBuf,
    },
}

/// Who runs the command: the operating-system user (as `sudo` reports it, else the login).
fn operator() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// Records a command-line action in the audit log, then reports its outcome.
async fn audited(
    p: &license_platform::Platform,
    action: String,
    outcome: Result<(), license_core::ServiceError>,
) -> Result<(), String> {
    let recorded = p.audit_cli(&operator(), &action, &outcome).await;
    outcome.map_err(|e| e.message())?;
    recorded.map_err(|e| format!("{action}: done, but not audited: {}", e.message()))
}

/// A password read from standard input (a trailing line break is not part of it).
fn read_password() -> Result<String, String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| format!("stdin: {e}"))?;
    Ok(s.trim_end_matches(['\r', '\n']).to_owned())
}

fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty())
}

/// Runs an account subcommand.
pub async fn account(opts: &Settings, cmd: AccountCommand) -> Result<(), String> {
    let n = node::build(opts, &node::public_url(opts, None)).await?;
    let p = &n.platform;
    let result = match cmd {
        AccountCommand::Add {
            username,
            roles,
            cert_types,
            password,
            password_stdin,
        } => {
            let roles = split(&roles)
                .map(|r| Role::from_name(r).ok_or_else(|| format!("unknown role {r}")))
                .collect::<Result<Vec<_>, _>>()?;
            let password = match (password, password_stdin) {
                (Some(p), _) => p,
                (None, true) => read_password()?,
                (None, false) => return Err("give --password or --password-stdin".into()),
            };
            let types = cert_types
                .as_deref()
                .map(|t| split(t).map(str::to_owned).collect())
                .unwrap_or_default();
            let outcome = p
                .create_account(&username, &password, roles, types, None)
                .await
                .map(drop);
            audited(p, format!("account add {username}"), outcome)
                .await
                .map(|()| println!("account {username} created"))
        }
        AccountCommand::List => {
            for a in p.accounts().await.map_err(|e| e.message())? {
                let roles: Vec<&str> = a.roles.iter().map(|r| r.name()).collect();
                let types = if a.cert_types.is_empty() {
                    "all".to_owned()
                } else {
                    a.cert_types.join(",")
                };
                println!(
                    "{}\t{}\troles={}\tcert-types={}",
                    a.username,
                    if a.enabled { "enabled" } else { "disabled" },
                    roles.join(","),
                    types
                );
            }
            Ok(())
        }
        AccountCommand::Disable { username } => {
            let outcome = p.set_account_enabled(&username, false).await;
            audited(p, format!("account disable {username}"), outcome)
                .await
                .map(|()| println!("account {username} disabled; its tokens are revoked"))
        }
        AccountCommand::Passwd { username, .. } => {
            let password = read_password()?;
            let outcome = p.set_password(&username, &password).await;
            audited(p, format!("account passwd {username}"), outcome)
                .await
                .map(|()| println!("password of {username} set; its tokens are revoked"))
        }
    };
    n.finish().await;
    result
}

/// Runs a client subcommand.
pub async fn client(opts: &Settings, cmd: ClientCommand) -> Result<(), String> {
    let n = node::build(opts, &node::public_url(opts, None)).await?;
    let result = match cmd {
        ClientCommand::Add { client_id, secret } => {
            let outcome = n.platform.add_client(&client_id, &secret).await;
            audited(&n.platform, format!("client add {client_id}"), outcome)
                .await
                .map(|()| println!("client {client_id} registered"))
        }
    };
    n.finish().await;
    result
}

/// Runs a license subcommand.
pub async fn license(opts: &Settings, cmd: LicenseCommand) -> Result<(), String> {
    let n = node::build(opts, &node::public_url(opts, None)).await?;
    let result = match cmd {
        LicenseCommand::Import { file } => match std::fs::read_to_string(&file) {
            Err(e) => Err(format!("{}: {e}", file.display())),
            Ok(text) => {
                let r = n.platform.import_jsonl(&text).await;
                for rej in &r.rejected {
                    eprintln!("line {}: {}", rej.line, rej.reason);
                }
                let action = format!(
                    "license import {} (imported {}, rejected {})",
                    file.display(),
                    r.imported,
                    r.rejected.len()
                );
                audited(&n.platform, action, Ok(()))
                    .await
                    .map(|()| println!("imported {}, rejected {}", r.imported, r.rejected.len()))
            }
        },
    };
    n.finish().await;
    result
}

/// `licensed healthcheck`: GET /readyz on the configured address.
pub async fn healthcheck(opts: &Settings) -> Result<(), String> {
    let url = format!("{}://{}/readyz", crate::node::scheme(opts), opts.http_addr);
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        // It asks its own listener whether it is ready, not who it is: the certificate names
        // the node's public host, not the address it listens on.
        .danger_accept_invalid_certs(true)
        // Straight to the node's own address, whatever proxy the environment names.
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let r = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if r.status().is_success() {
        println!("ready");
        Ok(())
    } else {
        Err(format!("not ready: HTTP {}", r.status()))
    }
}
