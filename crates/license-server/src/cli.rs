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
    /// Removes an OAuth client; every token it obtained ends at once, on every node.
    Remove {
        /// `client_id`.
        client_id: String,
    },
}

/// `licensed license …`.
#[derive(Debug, Subcommand)]
pub enum LicenseCommand {
    /// Imports licenses from a file in the import format: JSON Lines, or CSV (the format's
    /// field names as columns, face fields as `face.<name>`), streamed with its progress on
    /// standard error and every rejected line named; exits 0 only when every line was
    /// imported. Audited.
    Import {
        /// The file.
        file: std::path::PathBuf,
        /// `jsonl` or `csv` (default: by the file's extension, `.csv` or else JSON Lines).
        #[arg(long)]
        format: Option<String>,
        /// The file's encoding when it has no byte-order mark (default: UTF-8 if its start
        /// is, else GB18030).
        #[arg(long)]
        encoding: Option<String>,
    },
    /// Writes every license to standard output in the import format — JSON Lines, which
    /// `license import` takes back as the same licenses, or CSV for spreadsheets (face fields
    /// as `face.<name>` columns). Audited: it hands out personal data.
    Export {
        /// `jsonl` or `csv`.
        #[arg(long, default_value = "jsonl")]
        format: String,
    },
}

/// `licensed audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Writes the audit events of the days from --since to --until (both included, in the
    /// node's time zone) to standard output, oldest first — from the database, and from the
    /// archive for days the purge has archived. Audited.
    Export {
        /// The first day, YYYY-MM-DD.
        #[arg(long)]
        since: chrono::NaiveDate,
        /// The last day, YYYY-MM-DD (included).
        #[arg(long)]
        until: chrono::NaiveDate,
        /// Only calls that touched this license (its identifier).
        #[arg(long, conflicts_with_all = ["holder", "account"])]
        license: Option<String>,
        /// Only calls that searched or touched this holder code.
        #[arg(long, conflicts_with = "account")]
        holder: Option<String>,
        /// Only calls of this account.
        #[arg(long)]
        account: Option<String>,
        /// `jsonl` (the archive's lines, the admin API's audit records) or `csv`.
        #[arg(long, default_value = "jsonl")]
        format: String,
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
pub(crate) async fn audited(
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
        ClientCommand::Remove { client_id } => {
            let outcome = n.platform.remove_client(&client_id).await;
            audited(&n.platform, format!("client remove {client_id}"), outcome)
                .await
                .map(|()| println!("client {client_id} removed; its tokens are revoked"))
        }
    };
    n.finish().await;
    result
}

/// Runs a license subcommand.
pub async fn license(opts: &Settings, cmd: LicenseCommand) -> Result<(), String> {
    let n = node::build(opts, &node::public_url(opts, None)).await?;
    let result = match cmd {
        LicenseCommand::Import {
            file,
            format,
            encoding,
        } => {
            let outcome =
                crate::import::licenses(&n.platform, &file, format.as_deref(), encoding.as_deref())
                    .await;
            let action = match &outcome {
                Ok(s) => format!(
                    "license import {} (imported {}, rejected {})",
                    file.display(),
                    s.imported,
                    s.rejected.len()
                ),
                Err(e) => format!("license import {} (failed: {e})", file.display()),
            };
            let recorded = audited(&n.platform, action, Ok(())).await;
            outcome.and_then(|s| {
                recorded?;
                println!("imported {}, rejected {}", s.imported, s.rejected.len());
                if s.rejected.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "{} lines not imported: {}",
                        s.rejected.len(),
                        s.rejected_lines()
                    ))
                }
            })
        }
        LicenseCommand::Export { format } => {
            let outcome = crate::export::licenses(&n.store, &format).await;
            let action = match &outcome {
                Ok(count) => format!("license export --format {format} ({count} licenses)"),
                Err(e) => format!("license export --format {format} (failed: {e})"),
            };
            let recorded = audited(&n.platform, action, Ok(())).await;
            outcome.and(recorded)
        }
    };
    n.finish().await;
    result
}

/// `licensed audit export`.
pub async fn audit(opts: &Settings, cmd: AuditCommand) -> Result<(), String> {
    let AuditCommand::Export {
        since,
        until,
        license,
        holder,
        account,
        format,
    } = cmd;
    if until < since {
        return Err(format!("--until {until} is before --since {since}"));
    }
    let n = node::build(opts, &node::public_url(opts, None)).await?;
    let p = &n.platform;
    let query = license_core::ports::AuditQuery {
        from: Some(p.day_start(since)),
        until: Some(p.day_start(until.succ_opt().unwrap_or(until))),
        username: account.clone(),
        license: license.clone(),
        holder_code: holder.as_deref().map(license_core::normalize_holder_code),
        ..Default::default()
    };
    let outcome = crate::export::audit(p, &query, &format).await;
    let filter = [
        ("license", &license),
        ("holder", &holder),
        ("account", &account),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!(" --{k} {v}")))
    .collect::<String>();
    let action = match &outcome {
        Ok(count) => format!("audit export {since}..{until}{filter} ({count} events)"),
        Err(e) => format!("audit export {since}..{until}{filter} (failed: {e})"),
    };
    let recorded = audited(p, action, Ok(())).await;
    n.finish().await;
    outcome.and(recorded).map(drop)
}

/// `licensed purge`: one purge now (audited); says so when another node is running one.
pub async fn purge(opts: &Settings) -> Result<(), String> {
    let n = node::build(opts, &node::public_url(opts, None)).await?;
    let outcome = n.platform.purge().await;
    let said = match &outcome {
        Ok(Some(r)) => format!("purged {r}"),
        Ok(None) => "another node is purging now; nothing done".to_owned(),
        Err(_) => String::new(),
    };
    let result = audited(&n.platform, "purge".to_owned(), outcome.map(|_| ()))
        .await
        .map(|()| println!("{said}"));
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
