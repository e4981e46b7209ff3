//! The key the node signs with and the seals it trusts, from the settings: `signing_key_file`
//! (one key for every node of a platform) or the data directory's node key, and
//! `trust_files`. `licensed key show` and `serve` resolve them the same way.

use std::path::Path;

use license_file::engine::{NODE_KEY_NAME, NODE_KEY_ORGANIZATION, NODE_SEAL_NAME};
use license_file::{NodeKey, OfdEngine, TrustStore};

use crate::settings::Settings;

/// The key the node signs with: `signing_key_file`, else the node key under `data_dir/keys`
/// (made on first start; nodes starting together on one directory make one).
pub fn signing_key(opts: &Settings) -> Result<NodeKey, String> {
    match &opts.signing_key_file {
        Some(path) => {
            let named =
                |e: &dyn std::fmt::Display| format!("signing_key_file {}: {e}", path.display());
            let text = std::fs::read_to_string(path).map_err(|e| named(&e))?;
            NodeKey::from_pem_bundle(&text).map_err(|e| named(&e))
        }
        None => NodeKey::load_or_create(
            &opts.data_dir.join("keys"),
            NODE_KEY_NAME,
            NODE_KEY_ORGANIZATION,
        )
        .map_err(|e| e.to_string()),
    }
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
pub fn engine(opts: &Settings, verify_url: String) -> Result<OfdEngine, String> {
    OfdEngine::new(signing_key(opts)?, NODE_SEAL_NAME, trust(opts)?, verify_url)
        .map_err(|e| e.to_string())
}
