//! The node's SM2 key pair and certificate: created on first start into the data directory
//! (PKCS#8 PEM, mode 0600) or loaded from configuration.

use std::path::Path;

use chrono::{Duration, Utc};
use sm2::SecretKey;
use sm2::dsa::SigningKey;
use sm2::elliptic_curve::Generate;
use sm2::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};

use crate::cert::{self, CertInfo};
use crate::error::FileError;
use crate::sm2sig::DEFAULT_USER_ID;

/// File name of the node's private key in the data directory.
pub const KEY_FILE: &str = "node-key.pem";
/// File name of the node's certificate in the data directory.
pub const CERT_FILE: &str = "node-cert.pem";

/// The node's signing identity.
#[derive(Clone)]
pub struct NodeKey {
    signing: SigningKey,
    cert_der: Vec<u8>,
    cert: CertInfo,
}

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeKey")
            .field("subject", &self.cert.subject_cn)
            .field("serial", &self.cert.serial_hex)
            .finish_non_exhaustive()
    }
}

/// PEM-encodes DER under a label (RFC 7468).
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der)
        .expect("a label of ASCII letters and spaces encodes")
}

/// Every certificate in a PEM text, as DER.
pub fn pem_certificates(text: &str) -> Result<Vec<Vec<u8>>, FileError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(text.as_bytes())
        .map(|c| {
            c.map(|c| c.to_vec())
                .map_err(|e| FileError::Key(format!("certificate PEM: {e}")))
        })
        .collect()
}

impl NodeKey {
    /// A fresh key with a self-signed certificate valid for ten years.
    pub fn generate(common_name: &str, organization: &str) -> Result<Self, FileError> {
        let secret = SecretKey::try_generate()
            .map_err(|e| FileError::Key(format!("no randomness for a key: {e}")))?;
        Self::from_secret(&secret, None, common_name, organization)
    }

    fn from_secret(
        secret: &SecretKey,
        cert_der: Option<Vec<u8>>,
        common_name: &str,
        organization: &str,
    ) -> Result<Self, FileError> {
        let signing = SigningKey::new(DEFAULT_USER_ID, secret)
            .map_err(|e| FileError::Key(format!("unusable SM2 key: {e}")))?;
        let cert_der = match cert_der {
            Some(d) => d,
            None => {
                let now = Utc::now();
                let mut serial = [0u8; 8];
                serial.copy_from_slice(&sm3_of(&signing.verifying_key().to_sec1_bytes())[..8]);
                serial[0] &= 0x7F;
                cert::self_signed(
                    &signing,
                    common_name,
                    organization,
                    &serial,
                    now - Duration::days(1),
                    now + Duration::days(3650),
                )?
            }
        };
        let cert = cert::parse(&cert_der)?;
        if cert.public_key != signing.verifying_key().to_sec1_bytes().to_vec() {
            return Err(FileError::Key("the certificate is not for this key".into()));
        }
        Ok(NodeKey {
            signing,
            cert_der,
            cert,
        })
    }

    /// Loads a PKCS#8 PEM key and, optionally, its PEM certificate (made if absent).
    pub fn from_pem(
        key_pem: &str,
        cert_pem: Option<&str>,
        common_name: &str,
        organization: &str,
    ) -> Result<Self, FileError> {
        let secret = SecretKey::from_pkcs8_pem(key_pem)
            .map_err(|_| FileError::Key("the private key is not a PKCS#8 SM2 key".into()))?;
        let cert_der = match cert_pem {
            Some(pem) => Some(
                pem_certificates(pem)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| FileError::Key("no certificate in the PEM".into()))?,
            ),
            None => None,
        };
        Self::from_secret(&secret, cert_der, common_name, organization)
    }

    /// Loads the node key from `dir`, or creates it there on first start (key file mode 0600).
    /// Nodes starting together on one directory end with one key and one certificate: each
    /// file is made under a temporary name and linked into place only if absent, and every
    /// node then reads what is in place.
    pub fn load_or_create(
        dir: &Path,
        common_name: &str,
        organization: &str,
    ) -> Result<Self, FileError> {
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        let io = |e: std::io::Error| FileError::Key(format!("key storage: {e}"));
        if !key_path.exists() {
            std::fs::create_dir_all(dir).map_err(io)?;
            let secret = SecretKey::try_generate()
                .map_err(|e| FileError::Key(format!("no randomness for a key: {e}")))?;
            let pem = secret
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| FileError::Key(format!("cannot encode the key: {e}")))?;
            write_if_absent(&key_path, pem.as_bytes(), 0o600).map_err(io)?;
        }
        let key_pem = std::fs::read_to_string(&key_path).map_err(io)?;
        if !cert_path.exists() {
            let made = Self::from_pem(&key_pem, None, common_name, organization)?;
            write_if_absent(&cert_path, made.cert_pem().as_bytes(), 0o644).map_err(io)?;
        }
        let cert_pem = std::fs::read_to_string(&cert_path).map_err(io)?;
        Self::from_pem(&key_pem, Some(&cert_pem), common_name, organization)
    }

    /// A new key with its self-signed certificate, and both as one PEM text (the private key,
    /// then the certificate): what `signing_key_file` holds.
    pub fn generate_bundle(
        common_name: &str,
        organization: &str,
    ) -> Result<(Self, String), FileError> {
        let secret = SecretKey::try_generate()
            .map_err(|e| FileError::Key(format!("no randomness for a key: {e}")))?;
        let key = Self::from_secret(&secret, None, common_name, organization)?;
        let pem = secret
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| FileError::Key(format!("cannot encode the key: {e}")))?;
        let bundle = format!("{}{}", pem.as_str(), key.cert_pem());
        Ok((key, bundle))
    }

    /// Loads a PEM text holding a PKCS#8 SM2 private key and its certificate (the first
    /// `CERTIFICATE` block), as [`generate_bundle`](Self::generate_bundle) writes it.
    pub fn from_pem_bundle(text: &str) -> Result<Self, FileError> {
        const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
        const END: &str = "-----END PRIVATE KEY-----";
        let key_pem = text
            .find(BEGIN)
            .and_then(|b| text[b..].find(END).map(|e| &text[b..b + e + END.len()]))
            .ok_or_else(|| FileError::Key("no PRIVATE KEY block (PKCS#8)".into()))?;
        if !text.contains("-----BEGIN CERTIFICATE-----") {
            return Err(FileError::Key(
                "no CERTIFICATE block: every node must sign with the same certificate \
                 (`licensed key new --out FILE` writes a key with its certificate)"
                    .into(),
            ));
        }
        Self::from_pem(key_pem, Some(text), "", "")
    }

    /// The signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// The certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The certificate, PEM.
    pub fn cert_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.cert_der)
    }

    /// The certificate's facts.
    pub fn cert(&self) -> &CertInfo {
        &self.cert
    }
}

fn sm3_of(bytes: &[u8]) -> [u8; 32] {
    use sm3::Digest;
    sm3::Sm3::digest(bytes).into()
}

/// Writes a file whole under a temporary name and links it into place only if nothing is
/// there yet; what is already in place is kept (the temporary file is removed either way).
pub fn write_if_absent(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let tmp = write_temporary(path, bytes, mode)?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Writes `bytes` whole (fsync) to a new temporary file beside `path`; its name.
fn write_temporary(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<std::path::PathBuf> {
    use std::io::Write;
    // A name of its own per writer, so concurrent writers never share a temporary file.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    // Nodes on other hosts may share the directory: the time keeps their names apart too.
    let tmp = path.with_extension(format!("tmp{}-{n}-{nanos}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_loaded_with_mode_0600() {
        let dir = std::env::temp_dir().join(format!("license-file-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let a = NodeKey::load_or_create(&dir, "测试节点", "测试").unwrap();
        let b = NodeKey::load_or_create(&dir, "测试节点", "测试").unwrap();
        assert_eq!(a.cert_der(), b.cert_der());
        assert_eq!(a.signing_key().to_bytes(), b.signing_key().to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let pem = std::fs::read_to_string(dir.join(KEY_FILE)).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Nodes starting together on one directory end with one key and one certificate.
    #[test]
    fn nodes_starting_together_make_one_key() {
        let dir = std::env::temp_dir().join(format!("license-file-race-{}", std::process::id()));
        for _ in 0..10 {
            let _ = std::fs::remove_dir_all(&dir);
            let certs: Vec<Vec<u8>> = std::thread::scope(|s| {
                let started: Vec<_> = (0..6)
                    .map(|_| {
                        s.spawn(|| {
                            NodeKey::load_or_create(&dir, "节点", "测试")
                                .unwrap()
                                .cert_der()
                                .to_vec()
                        })
                    })
                    .collect();
                started.into_iter().map(|t| t.join().unwrap()).collect()
            });
            assert!(certs.windows(2).all(|w| w[0] == w[1]), "one certificate");
            let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
            assert_eq!(left.len(), 2, "no temporary file left: {left:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_bundle_round_trips_and_needs_its_certificate() {
        let (key, bundle) = NodeKey::generate_bundle("省平台", "测试").unwrap();
        let back = NodeKey::from_pem_bundle(&bundle).unwrap();
        assert_eq!(back.cert_der(), key.cert_der());
        assert_eq!(back.signing_key().to_bytes(), key.signing_key().to_bytes());
        let key_only = &bundle[..bundle.find("-----BEGIN CERTIFICATE-----").unwrap()];
        let e = NodeKey::from_pem_bundle(key_only).unwrap_err();
        assert!(e.to_string().contains("CERTIFICATE"), "{e}");
        assert!(NodeKey::from_pem_bundle("nothing").is_err());
    }

    #[test]
    fn a_certificate_for_another_key_is_refused() {
        let a = NodeKey::generate("a", "o").unwrap();
        let b = NodeKey::generate("b", "o").unwrap();
        let secret = SecretKey::from_bytes(&a.signing_key().to_bytes()).unwrap();
        let pem = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
        assert!(NodeKey::from_pem(&pem, Some(&b.cert_pem()), "a", "o").is_err());
        assert!(NodeKey::from_pem(&pem, Some(&a.cert_pem()), "a", "o").is_ok());
        assert!(NodeKey::from_pem("garbage", None, "a", "o").is_err());
    }
}
