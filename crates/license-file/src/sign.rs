//! Signing a package with the platform's seal in the GB/T 38540 structure: `Signatures.xml`,
//! `Sign_N/Signature.xml` listing an SM3 digest of every protected part, and
//! `Sign_N/SignedValue.dat` holding a DER `SES_Signature` v4 over SM3 of the raw
//! `Signature.xml`.

use std::fmt::Write as _;

use base64::Engine;
use chrono::{DateTime, Utc};
use sm3::{Digest, Sm3};

use crate::cert::OID_SM2_WITH_SM3;
use crate::error::FileError;
use crate::keys::NodeKey;
use crate::ofd::OFD_NS;
use crate::package::{self, Package};
use crate::raster;
use crate::ses::{self, SealSpec};
use crate::sm2sig;
use crate::verify::{OID_SM3, signature_lists};
use crate::xml::{self, escape};

/// Provider name written into `SignedInfo/Provider`.
pub const PROVIDER: &str = "license-platform";

/// Where the seal's appearance goes on the page (`SignedInfo/StampAnnot`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stamp {
    /// Page `ID` the stamp is on.
    pub page_id: u32,
    /// `x y w h` in millimetres.
    pub boundary: (f32, f32, f32, f32),
}

/// The platform's seal: its key, certificate and the `SESeal` it signs with.
#[derive(Clone)]
pub struct SealSigner {
    key: NodeKey,
    seal: Vec<u8>,
}

impl std::fmt::Debug for SealSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealSigner")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl SealSigner {
    /// Makes the node's seal (named `seal_name`, maker and user the node key itself).
    pub fn new(key: NodeKey, seal_name: &str) -> Result<Self, FileError> {
        let picture = raster::seal_png(seal_name)?;
        let created = Utc::now();
        let cert = key.cert_der().to_vec();
        let es_id = format!("ES{}", key.cert().serial_hex);
        let spec = SealSpec {
            es_id: &es_id,
            vid: PROVIDER,
            name: seal_name,
            certs: &[&cert],
            picture_type: "PNG",
            picture: &picture,
            picture_mm: (42, 42),
            valid: (
                created - chrono::Duration::days(1),
                created + chrono::Duration::days(3650),
            ),
            created,
        };
        let signing = key.signing_key().clone();
        let seal = ses::build_seal(&spec, &cert, |m| sm2sig::sign(&signing, m))?;
        Ok(SealSigner { key, seal })
    }

    /// The node key behind the seal.
    pub fn key(&self) -> &NodeKey {
        &self.key
    }

    /// Adds one signature over `references` (package paths) to the package.
    pub fn sign(
        &self,
        pkg: &mut Package,
        references: &[String],
        at: DateTime<Utc>,
        stamp: Option<Stamp>,
    ) -> Result<(), FileError> {
        let list_path = signature_lists(pkg)?
            .into_iter()
            .next()
            .ok_or_else(|| FileError::Internal("the package names no Signatures.xml".into()))?;
        let list_dir = list_path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
        let existing = match pkg.get(&list_path) {
            Some(b) => xml::parse(&list_path, b)?,
            None => xml::Element::default(),
        };
        let entries: Vec<(String, String, String)> = existing
            .children_named("Signature")
            .map(|e| {
                (
                    e.attr("ID").unwrap_or_default().to_owned(),
                    e.attr("Type").unwrap_or("Seal").to_owned(),
                    e.attr("BaseLoc").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let n = entries.len();
        let next_id = existing
            .child("MaxSignId")
            .and_then(|m| m.text.parse::<u32>().ok())
            .unwrap_or(0)
            .max(n as u32)
            + 1;
        let sign_dir = format!("{list_dir}/Sign_{n}");
        let sig_xml_path = format!("{sign_dir}/Signature.xml");

        let mut refs = String::new();
        for r in references {
            let path = package::normalize(r)?;
            let bytes = pkg
                .get(&path)
                .ok_or_else(|| FileError::Internal(format!("cannot sign missing part {path}")))?;
            let digest = base64::engine::general_purpose::STANDARD.encode(Sm3::digest(bytes));
            let _ = write!(
                refs,
                r#"<ofd:Reference FileRef="/{}"><ofd:CheckValue>{digest}</ofd:CheckValue></ofd:Reference>"#,
                escape(&path)
            );
        }
        let stamp_xml = stamp
            .map(|s| {
                format!(
                    r#"<ofd:StampAnnot ID="1" PageRef="{}" Boundary="{} {} {} {}"/>"#,
                    s.page_id, s.boundary.0, s.boundary.1, s.boundary.2, s.boundary.3
                )
            })
            .unwrap_or_default();
        let signature_xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Signature xmlns:ofd="{OFD_NS}"><ofd:SignedInfo><ofd:Provider ProviderName="{PROVIDER}" Version="{}"/><ofd:SignatureMethod>{OID_SM2_WITH_SM3}</ofd:SignatureMethod><ofd:SignatureDateTime>{}</ofd:SignatureDateTime><ofd:References CheckMethod="{OID_SM3}">{refs}</ofd:References>{stamp_xml}</ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>"#,
            env!("CARGO_PKG_VERSION"),
            at.format("%Y%m%d%H%M%SZ")
        );
        let data_hash: [u8; 32] = Sm3::digest(signature_xml.as_bytes()).into();
        let signing = self.key.signing_key();
        let value = ses::build_signature(
            &self.seal,
            at,
            &data_hash,
            &format!("/{sig_xml_path}"),
            self.key.cert_der(),
            |tbs| sm2sig::sign(signing, tbs),
        )?;
        pkg.insert(sig_xml_path, signature_xml.into_bytes());
        pkg.insert(format!("{sign_dir}/SignedValue.dat"), value);

        let mut list = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Signatures xmlns:ofd="{OFD_NS}"><ofd:MaxSignId>{next_id}</ofd:MaxSignId>"#
        );
        for (id, kind, base) in &entries {
            let _ = write!(
                list,
                r#"<ofd:Signature ID="{}" Type="{}" BaseLoc="{}"/>"#,
                escape(id),
                escape(kind),
                escape(base)
            );
        }
        let _ = write!(
            list,
            r#"<ofd:Signature ID="{next_id}" Type="Seal" BaseLoc="Sign_{n}/Signature.xml"/></ofd:Signatures>"#
        );
        pkg.insert(list_path, list.into_bytes());
        Ok(())
    }
}
