//! Verification of signed OFD files from any producer (GB/T 38540): per signature, every
//! reference digest, the data hash over the raw `Signature.xml`, the SM2 signature, and for
//! seals the seal's own checks. Trust in the signer is a separate decision
//! ([`crate::trust::TrustStore`]).

use base64::Engine;
use sm3::{Digest, Sm3};

use crate::cert::{self, CertInfo};
use crate::error::FileError;
use crate::package::{self, Limits, Package};
use crate::sm2sig::{self, Quirk};
use crate::xml::{self, Element};
use crate::{asn1, cms, ses};

/// `CheckMethod` OID of SM3 (GM/T 0006).
pub const OID_SM3: &str = "1.2.156.10197.1.401";

/// How encoding quirks count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Quirks real producers emit are accepted (reported as quirks).
    #[default]
    Default,
    /// Any quirk fails; files this project produces must pass strictly.
    Strict,
}

/// `Type` of a signature in `Signatures.xml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureType {
    /// An electronic seal: `SES_Signature`.
    Seal,
    /// A digital signature: PKCS#7 `SignedData`.
    Sign,
}

/// The seal's own checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealChecks {
    /// Seal name.
    pub name: String,
    /// `esID`.
    pub es_id: String,
    /// `Vid`.
    pub vid: String,
    /// The signer's certificate is in the seal's `certList`.
    pub signer_listed: bool,
    /// The seal maker's signature over `SES_SealInfo` verifies.
    pub maker_signature_ok: bool,
    /// The seal file named by `SignedInfo/Seal/BaseLoc` equals the seal in the signed value
    /// (`None` when there is no such file).
    pub seal_file_ok: Option<bool>,
}

/// Who signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The certificate's subject common name.
    pub common_name: Option<String>,
    /// The certificate's serial number, hex.
    pub serial_hex: String,
    /// The issuer's common name.
    pub issuer_common_name: Option<String>,
    /// The certificate (DER).
    pub certificate: Vec<u8>,
}

/// What held for one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureReport {
    /// `ID` in `Signatures.xml`.
    pub id: String,
    /// Seal or Sign.
    pub kind: SignatureType,
    /// The `Signature.xml` part, with a leading `/`.
    pub signature_xml: String,
    /// `Provider/@ProviderName`.
    pub provider: Option<String>,
    /// The signed value's version (`SES_Signature` or `SignedData`).
    pub version: Option<u64>,
    /// `References/@CheckMethod` as written.
    pub check_method: String,
    /// Number of references.
    pub reference_count: usize,
    /// Every referenced part exists and matches its digest.
    pub digests_ok: bool,
    /// `FileRef`s whose digest fails (or whose part is missing).
    pub mismatched_refs: Vec<String>,
    /// Parts the signature covers (normalised paths).
    pub covered: Vec<String>,
    /// The signed value binds the raw `Signature.xml`.
    pub data_hash_ok: bool,
    /// The SM2 signature verifies with the signer certificate's key.
    pub signature_ok: bool,
    /// Seal checks (seals only).
    pub seal: Option<SealChecks>,
    /// The signer, when the certificate could be read.
    pub signer: Option<Signer>,
    /// Signing time from the signed value.
    pub signing_time: Option<String>,
    /// Quirk tags, `where:quirk`, sorted.
    pub quirks: Vec<String>,
    /// What failed, in words.
    pub errors: Vec<String>,
}

impl SignatureReport {
    /// Whether every check held (and, in strict mode, no quirk was met).
    pub fn verified(&self, mode: Mode) -> bool {
        let seal_ok = self.seal.as_ref().is_none_or(|s| {
            s.signer_listed && s.maker_signature_ok && s.seal_file_ok != Some(false)
        });
        self.errors.is_empty()
            && self.digests_ok
            && self.data_hash_ok
            && self.signature_ok
            && seal_ok
            && (mode == Mode::Default || self.quirks.is_empty())
    }

    /// Whether the parts and the signed data are unaltered (digests and data hash hold).
    pub fn intact(&self) -> bool {
        self.digests_ok && self.data_hash_ok
    }
}

/// The verification of one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// One entry per signature listed in the package.
    pub signatures: Vec<SignatureReport>,
    /// Parts no signature covers (signature infrastructure and `OFD.xml` aside).
    pub unreferenced_files: Vec<String>,
}

impl Report {
    /// VALID: at least one signature, and every signature verified.
    pub fn is_valid(&self, mode: Mode) -> bool {
        !self.signatures.is_empty() && self.signatures.iter().all(|s| s.verified(mode))
    }
}

fn sm3(bytes: &[u8]) -> [u8; 32] {
    Sm3::digest(bytes).into()
}

/// The `Signatures.xml` parts named by `OFD.xml`'s doc bodies.
pub(crate) fn signature_lists(pkg: &Package) -> Result<Vec<String>, FileError> {
    let ofd = xml::parse("OFD.xml", pkg.get("OFD.xml").unwrap_or_default())?;
    let mut out = Vec::new();
    for body in ofd.children_named("DocBody") {
        if let Some(s) = body.child("Signatures").filter(|s| !s.text.is_empty()) {
            out.push(package::resolve("OFD.xml", &s.text)?);
        }
    }
    Ok(out)
}

/// Verifies a package's signatures. An error means the bytes are not a readable OFD package;
/// a readable package with no or bad signatures gives a report that says so.
pub fn verify(bytes: &[u8]) -> Result<Report, FileError> {
    let pkg = Package::read(bytes, Limits::default())?;
    verify_package(&pkg)
}

/// Verifies an already-read package.
pub fn verify_package(pkg: &Package) -> Result<Report, FileError> {
    let mut signatures = Vec::new();
    let mut infrastructure: Vec<String> = vec!["OFD.xml".into()];
    let mut covered: Vec<String> = Vec::new();
    for list_path in signature_lists(pkg)? {
        let list_dir = list_path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
        infrastructure.push(format!("{list_dir}/"));
        let Some(list_bytes) = pkg.get(&list_path) else {
            continue;
        };
        let list = xml::parse(&list_path, list_bytes)?;
        for entry in list.children_named("Signature") {
            let report = verify_one(pkg, &list_path, entry);
            covered.extend(report.covered.iter().cloned());
            signatures.push(report);
        }
    }
    let unreferenced_files = pkg
        .paths()
        .filter(|p| {
            !covered.iter().any(|c| c == p)
                && !infrastructure
                    .iter()
                    .any(|i| p == i || (i.ends_with('/') && p.starts_with(i.as_str())))
        })
        .map(str::to_owned)
        .collect();
    Ok(Report {
        signatures,
        unreferenced_files,
    })
}

fn verify_one(pkg: &Package, list_path: &str, entry: &Element) -> SignatureReport {
    let kind = match entry.attr("Type") {
        Some(t) if t.eq_ignore_ascii_case("Sign") => SignatureType::Sign,
        _ => SignatureType::Seal,
    };
    let mut report = SignatureReport {
        id: entry.attr("ID").unwrap_or_default().to_owned(),
        kind,
        signature_xml: String::new(),
        provider: None,
        version: None,
        check_method: String::new(),
        reference_count: 0,
        digests_ok: false,
        mismatched_refs: Vec::new(),
        covered: Vec::new(),
        data_hash_ok: false,
        signature_ok: false,
        seal: None,
        signer: None,
        signing_time: None,
        quirks: Vec::new(),
        errors: Vec::new(),
    };
    if let Err(e) = check_signature(pkg, list_path, entry, &mut report) {
        report.errors.push(e.to_string());
    }
    report.quirks.sort();
    report.quirks.dedup();
    report
}

fn check_signature(
    pkg: &Package,
    list_path: &str,
    entry: &Element,
    report: &mut SignatureReport,
) -> Result<(), FileError> {
    let base = entry
        .attr("BaseLoc")
        .ok_or_else(|| FileError::NotOfd("Signature without BaseLoc".into()))?;
    let sig_path = package::resolve(list_path, base)?;
    report.signature_xml = format!("/{sig_path}");
    let sig_bytes = pkg
        .get(&sig_path)
        .ok_or_else(|| FileError::NotOfd(format!("missing {sig_path}")))?;
    let sig_xml = xml::parse(&sig_path, sig_bytes)?;
    let info = sig_xml
        .child("SignedInfo")
        .ok_or_else(|| FileError::NotOfd("Signature.xml without SignedInfo".into()))?;
    report.provider = info
        .child("Provider")
        .and_then(|p| p.attr("ProviderName"))
        .map(str::to_owned);

    // 1. Reference digests.
    let refs = info.child("References");
    let method = refs
        .and_then(|r| r.attr("CheckMethod"))
        .unwrap_or(OID_SM3)
        .to_owned();
    report.check_method = method.clone();
    let sm3_method = method == OID_SM3 || method.eq_ignore_ascii_case("sm3");
    let mut mismatched = Vec::new();
    let mut count = 0;
    for r in refs.iter().flat_map(|r| r.children_named("Reference")) {
        count += 1;
        let file_ref = r.attr("FileRef").unwrap_or_default();
        let expected = r.child("CheckValue").and_then(|c| {
            base64::engine::general_purpose::STANDARD
                .decode(c.text.as_bytes())
                .ok()
        });
        let path = package::normalize(file_ref).ok();
        let actual = path.as_deref().and_then(|p| pkg.get(p)).map(sm3);
        let ok = sm3_method && matches!((expected, actual), (Some(e), Some(a)) if e == a);
        if let Some(p) = path {
            report.covered.push(p);
        }
        if !ok {
            mismatched.push(file_ref.to_owned());
        }
    }
    report.reference_count = count;
    report.digests_ok = sm3_method && count > 0 && mismatched.is_empty();
    if !sm3_method {
        report
            .errors
            .push(format!("unsupported CheckMethod {method}"));
    } else if count == 0 {
        report
            .errors
            .push("the signature references no file".into());
    } else if !mismatched.is_empty() {
        report.errors.push(format!(
            "{} of {count} referenced files fail their digest check: {}",
            mismatched.len(),
            mismatched.join(", ")
        ));
    }
    report.mismatched_refs = mismatched;

    // 2–4. The signed value.
    let sig_dir = sig_path.rsplit_once('/').map_or("", |(d, _)| d);
    let value_name = sig_xml
        .child("SignedValue")
        .map(|v| v.text.clone())
        .filter(|t| !t.is_empty());
    let candidates: Vec<String> = match value_name {
        Some(n) => vec![package::resolve(&sig_path, &n)?],
        None => ["SignedValue.dat", "SignValue.dat"]
            .iter()
            .map(|n| format!("{sig_dir}/{n}"))
            .collect(),
    };
    let value = candidates
        .iter()
        .find_map(|c| pkg.get(c))
        .ok_or_else(|| FileError::NotOfd("missing signed value".into()))?;
    let data_hash = sm3(sig_bytes);
    match report.kind {
        SignatureType::Seal => check_seal(pkg, &sig_path, info, value, &data_hash, report),
        SignatureType::Sign => check_sign(value, sig_bytes, &data_hash, report),
    }
}

fn read_signer(der: &[u8], report: &mut SignatureReport) -> Option<CertInfo> {
    match cert::parse(der) {
        Ok(info) => {
            report.signer = Some(Signer {
                common_name: info.subject_cn.clone(),
                serial_hex: info.serial_hex.clone(),
                issuer_common_name: info.issuer_cn.clone(),
                certificate: der.to_vec(),
            });
            Some(info)
        }
        Err(e) => {
            report
                .errors
                .push(format!("signer certificate unreadable: {e}"));
            None
        }
    }
}

/// Verifies a signature stored in a BIT STRING (or, with `in_bit_string` false, raw octets),
/// recording quirks under `label`.
fn check_sm2(
    label: &str,
    stored: &[u8],
    in_bit_string: bool,
    key: &[u8],
    message: &[u8],
    quirks: &mut Vec<String>,
) -> bool {
    let bytes = if in_bit_string {
        match sm2sig::bit_string(stored) {
            Ok((b, q)) => {
                if let Some(q) = q {
                    quirks.push(format!("{label}:{}", q.tag()));
                }
                b
            }
            Err(_) => return false,
        }
    } else {
        stored
    };
    match sm2sig::read_signature(bytes) {
        Ok(sig) => {
            quirks.extend(sig.quirks.iter().map(|q| format!("{label}:{}", q.tag())));
            sm2sig::verify(key, message, &sig)
        }
        Err(_) => false,
    }
}

fn check_seal(
    pkg: &Package,
    sig_path: &str,
    info: &Element,
    value: &[u8],
    data_hash: &[u8; 32],
    report: &mut SignatureReport,
) -> Result<(), FileError> {
    let s = ses::parse(value)?;
    report.version = Some(s.version);
    report.signing_time = s.time.clone();
    let (hash, quirk) = sm2sig::bit_string(s.data_hash)?;
    if let Some(q) = quirk {
        report.quirks.push(format!("data-hash:{}", q.tag()));
    }
    report.data_hash_ok = hash == data_hash;
    if !report.data_hash_ok {
        report
            .errors
            .push("TBS_Sign.dataHash is not SM3(Signature.xml)".into());
    }
    let signer = read_signer(s.signer_cert, report);
    if let Some(signer) = &signer {
        report.signature_ok = check_sm2(
            "signer",
            s.signature,
            true,
            &signer.public_key,
            s.tbs_raw,
            &mut report.quirks,
        );
        if !report.signature_ok {
            report
                .errors
                .push("SM2 signature does not verify with the signer certificate's key".into());
        }
    }
    let seal = &s.seal;
    let signer_listed = match seal.cert_list_type {
        1 => seal.cert_list.contains(&s.signer_cert),
        2 => {
            let digest = sm3(s.signer_cert);
            seal.cert_list.iter().any(|entry| {
                asn1::read_all(entry).is_ok_and(|obj| {
                    obj.children()
                        .filter_map(Result::ok)
                        .any(|c| c.tag == asn1::OCTET_STRING && c.value == digest)
                })
            })
        }
        _ => {
            report
                .quirks
                .push(Quirk::NonstandardCertListType.tag().to_owned());
            seal.cert_list.contains(&s.signer_cert)
        }
    };
    let maker_signature_ok = match cert::parse(seal.maker_cert) {
        Ok(maker) => check_sm2(
            "maker",
            seal.maker_signature,
            true,
            &maker.public_key,
            seal.info_raw,
            &mut report.quirks,
        ),
        Err(_) => false,
    };
    let seal_file_ok = match info.path(&["Seal", "BaseLoc"]).map(|b| b.text.as_str()) {
        Some(loc) if !loc.is_empty() => {
            let path = package::resolve(sig_path, loc)?;
            Some(pkg.get(&path).is_some_and(|b| b == seal.raw))
        }
        _ => None,
    };
    if !signer_listed {
        report
            .errors
            .push("the signer certificate is not in the seal's certList".into());
    }
    if !maker_signature_ok {
        report
            .errors
            .push("the seal maker's signature does not verify".into());
    }
    if seal_file_ok == Some(false) {
        report
            .errors
            .push("the seal file differs from the seal in the signed value".into());
    }
    report.seal = Some(SealChecks {
        name: seal.name.clone(),
        es_id: seal.es_id.clone(),
        vid: seal.vid.clone(),
        signer_listed,
        maker_signature_ok,
        seal_file_ok,
    });
    Ok(())
}

fn check_sign(
    value: &[u8],
    sig_bytes: &[u8],
    data_hash: &[u8; 32],
    report: &mut SignatureReport,
) -> Result<(), FileError> {
    let sd = cms::parse(value)?;
    report.version = Some(sd.version);
    report.signing_time = sd.signing_time.clone();
    let cert_der = sd
        .certificates
        .iter()
        .copied()
        .find(|c| {
            let serial = sd.signer_serial.map(|s| {
                let start = s.iter().position(|&b| b != 0).unwrap_or(0);
                s[start..]
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect::<String>()
            });
            cert::parse(c).is_ok_and(|i| Some(i.serial_hex) == serial)
        })
        .or_else(|| sd.certificates.first().copied());
    let (signed, digest_ok) = match &sd.signed_attrs {
        Some(attrs) => (attrs.as_slice(), sd.message_digest == Some(&data_hash[..])),
        None => (sig_bytes, true),
    };
    report.data_hash_ok = digest_ok;
    if !digest_ok {
        report
            .errors
            .push("signed message digest is not SM3(Signature.xml)".into());
    }
    let Some(cert_der) = cert_der else {
        report
            .errors
            .push("no signer certificate in the SignedData".into());
        return Ok(());
    };
    if let Some(signer) = read_signer(cert_der, report) {
        report.signature_ok = check_sm2(
            "signer",
            sd.signature,
            false,
            &signer.public_key,
            signed,
            &mut report.quirks,
        );
        if !report.signature_ok {
            report
                .errors
                .push("SM2 signature does not verify with the signer certificate's key".into());
        }
    }
    Ok(())
}
