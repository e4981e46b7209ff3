//! Signatures of `Type="Sign"`: PKCS#7 / CMS `SignedData` with SM2 (GB/T 35275), read for
//! verification.

use crate::asn1::{self, CONTEXT_0, CONTEXT_1, INTEGER, OCTET_STRING, OID, SEQUENCE, SET};
use crate::error::FileError;

/// `messageDigest` attribute (PKCS#9).
const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
/// `signingTime` attribute (PKCS#9).
const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";

/// What verification needs from a `SignedData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedData<'a> {
    /// `SignedData.version`.
    pub version: u64,
    /// Certificates carried.
    pub certificates: Vec<&'a [u8]>,
    /// The signer's serial number (content octets), from `issuerAndSerialNumber`.
    pub signer_serial: Option<&'a [u8]>,
    /// The authenticated attributes re-tagged as `SET` (`0x31`): what the signer signed.
    pub signed_attrs: Option<Vec<u8>>,
    /// `messageDigest` attribute value.
    pub message_digest: Option<&'a [u8]>,
    /// `signingTime` attribute as ISO text.
    pub signing_time: Option<String>,
    /// The encapsulated content, when not detached.
    pub content: Option<&'a [u8]>,
    /// The signature value (OCTET STRING content).
    pub signature: &'a [u8],
}

/// Reads a `ContentInfo` holding `SignedData` (or a bare `SignedData`).
pub fn parse(der: &[u8]) -> Result<SignedData<'_>, FileError> {
    let top = asn1::read_all(der)?.expect(SEQUENCE, "ContentInfo")?;
    let mut c = top.children();
    let first = c.next_tlv("ContentInfo.contentType")?;
    let signed = if first.tag == OID {
        let explicit = c.expect(CONTEXT_0, "ContentInfo.content")?;
        explicit.children().expect(SEQUENCE, "SignedData")?
    } else {
        top
    };
    let mut s = signed.children();
    let version = s.expect(INTEGER, "SignedData.version")?.small_uint()?;
    let _digest_algs = s.expect(SET, "digestAlgorithms")?;
    let encap = s.expect(SEQUENCE, "encapContentInfo")?;
    let mut e = encap.children();
    let _ctype = e.expect(OID, "eContentType")?;
    let content = match e.next_if(CONTEXT_0)? {
        Some(explicit) => {
            let inner = explicit.children().next_tlv("eContent")?;
            Some(inner.value)
        }
        None => None,
    };
    let mut certificates = Vec::new();
    if let Some(certs) = s.next_if(CONTEXT_0)? {
        for cert in certs.children() {
            certificates.push(cert?.raw);
        }
    }
    s.next_if(CONTEXT_1)?;
    let infos = s.expect(SET, "signerInfos")?;
    let info = infos
        .children()
        .next()
        .ok_or_else(|| FileError::Der("no SignerInfo".into()))??
        .expect(SEQUENCE, "SignerInfo")?;
    let mut i = info.children();
    let _v = i.expect(INTEGER, "SignerInfo.version")?;
    let sid = i.next_tlv("SignerInfo.sid")?;
    let signer_serial = if sid.tag == SEQUENCE {
        let mut ias = sid.children();
        let _issuer = ias.expect(SEQUENCE, "issuer")?;
        Some(ias.expect(INTEGER, "serialNumber")?.value)
    } else {
        None
    };
    let _digest_alg = i.expect(SEQUENCE, "digestAlgorithm")?;
    let mut signed_attrs = None;
    let mut message_digest = None;
    let mut signing_time = None;
    if let Some(attrs) = i.next_if(CONTEXT_0)? {
        let mut retagged = attrs.raw.to_vec();
        retagged[0] = SET;
        signed_attrs = Some(retagged);
        for attr in attrs.children() {
            let mut a = attr?.children();
            let oid = asn1::oid_text(a.expect(OID, "attrType")?.value);
            let values = a.expect(SET, "attrValues")?;
            let Some(value) = values.children().next().transpose()? else {
                continue;
            };
            match oid.as_str() {
                OID_MESSAGE_DIGEST if value.tag == OCTET_STRING => {
                    message_digest = Some(value.value)
                }
                OID_SIGNING_TIME => signing_time = asn1::time_text(value.value),
                _ => {}
            }
        }
    }
    let _sig_alg = i.expect(SEQUENCE, "signatureAlgorithm")?;
    let signature = i.expect(OCTET_STRING, "signature")?.value;
    Ok(SignedData {
        version,
        certificates,
        signer_serial,
        signed_attrs,
        message_digest,
        signing_time,
        content,
        signature,
    })
}
