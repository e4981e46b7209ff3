//! The key the node signs with and the seals it trusts, from the settings: `signing_key_file`
//! (one key for every node of a platform), else the platform's key in the database (a database
//! server) or the data directory's node key (SQLite), and `trust_files`. `licensed key show`
//! and `serve` resolve them the same way.

use std::path::Path;

use license_file::engine::{NODE_KEY_NAME, NODE_KEY_ORGANIZATION, NODE_SEAL_NAME};
use license_file::keys::{CERT_FILE, KEY_FILE};
use license_file::{NodeKey, OfdEngine, TrustStore};
use license_store::{Backend, SeaStore};

use crate::settings::Settings;
use license_http::console::KeyView;

/// The key the node signs with: `signing_key_file`; else, on a database server, the
/// platform's key kept in the database — the first node to start stores its data directory's
/// key if it has one (the platform keeps signing as before) or a new one, and every node signs
/// with it; else (SQLite) the data directory's node key, made on first start.
pub async fn signing_key(opts: &Settings, store: &SeaStore) -> Result<NodeKey, String> {
    if let Some(path) = &opts.signing_key_file {
        let named = |e: &dyn std::fmt::Display| format!("signing_key_file {}: {e}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| named(&e))?;
        return NodeKey::from_pem_bundle(&text).map_err(|e| named(&e));
    }
    let dir = opts.data_dir.join("keys");
    if store.backend() == Backend::Sqlite {
        return NodeKey::load_or_create(&dir, NODE_KEY_NAME, NODE_KEY_ORGANIZATION)
            .map_err(|e| e.to_string());
    }
    // A key the data directory already holds is offered (the platform keeps signing as
    // before); one that is there but cannot be read stops the start rather than being replaced.
    let read = |name: &str| match std::fs::read_to_string(dir.join(name)) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", dir.join(name).display())),
    };
    let own = match (read(KEY_FILE)?, read(CERT_FILE)?) {
        (Some(key), Some(cert)) => {
            let pem = key + &cert;
            NodeKey::from_pem_bundle(&pem).map_err(|e| format!("{}: {e}", dir.display()))?;
            Some(pem)
        }
        (Some(_), None) => {
            return Err(format!(
                "{} holds a key without its certificate ({CERT_FILE})",
                dir.display()
            ));
        }
        _ => None,
    };
    let candidate = match &own {
        Some(pem) => pem.clone(),
        None => {
            NodeKey::generate_bundle(NODE_KEY_NAME, NODE_KEY_ORGANIZATION)
                .map_err(|e| e.to_string())?
                .1
        }
    };
    let stored = store
        .platform_key(&candidate)
        .await
        .map_err(|e| e.to_string())?;
    let key = NodeKey::from_pem_bundle(&stored).map_err(|e| format!("the platform key: {e}"))?;
    if own.is_some_and(|pem| pem != stored) {
        tracing::warn!(
            serial = %key.cert().serial_hex,
            "the data directory holds another key than the platform's; the node signs with the platform's"
        );
    }
    Ok(key)
}

/// The files `trust_files` names.
fn trust_files(opts: &Settings) -> impl Iterator<Item = &Path> {
    opts.trust_files
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(Path::new)
}

/// The seals the node trusts besides its own: every certificate of `trust_files`; a file that
/// cannot be read or holds no certificate stops the start, named.
pub fn trust(opts: &Settings) -> Result<TrustStore, String> {
    let mut trust = TrustStore::default();
    for path in trust_files(opts) {
        let named = |e: &dyn std::fmt::Display| format!("trust_files {}: {e}", path.display());
        let pem = std::fs::read_to_string(path).map_err(|e| named(&e))?;
        match trust.add_pem(&pem) {
            Ok(0) => return Err(named(&"no PEM certificate in it")),
            Ok(_) => {}
            Err(e) => return Err(named(&e)),
        }
    }
    Ok(trust)
}

/// The document engine: signing with [`signing_key`], trusting it and [`trust`], QR values
/// pointing at `verify_url`.
/// The engine comes with what the console's keys page shows: the node's certificate, then
/// every trusted one.
pub async fn engine(
    opts: &Settings,
    store: &SeaStore,
    verify_url: String,
) -> Result<(OfdEngine, Vec<KeyView>), String> {
    let key = signing_key(opts, store).await?;
    let mut views = vec![key_view("本节点签章证书", key.cert_der())?];
    for path in trust_files(opts) {
        let named = |e: &dyn std::fmt::Display| format!("trust_files {}: {e}", path.display());
        let pem = std::fs::read_to_string(path).map_err(|e| named(&e))?;
        for der in license_file::keys::pem_certificates(&pem).map_err(|e| named(&e))? {
            views.push(key_view("信任的证书", &der).map_err(|e| named(&e))?);
        }
    }
    let engine =
        OfdEngine::new(key, NODE_SEAL_NAME, trust(opts)?, verify_url).map_err(|e| e.to_string())?;
    Ok((engine, views))
}

/// A certificate as the console shows it.
fn key_view(kind: &str, der: &[u8]) -> Result<KeyView, String> {
    use sha2::Digest;
    let info = license_file::cert::parse(der).map_err(|e| e.to_string())?;
    Ok(KeyView {
        kind: kind.into(),
        subject: info.subject_cn.clone().unwrap_or_default(),
        issuer: info.issuer_cn.clone().unwrap_or_default(),
        serial: info.serial_hex.clone(),
        fingerprint: hex::encode_upper(sha2::Sha256::digest(der)),
        pem: license_file::keys::pem_encode("CERTIFICATE", der),
    })
}
