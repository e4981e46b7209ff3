//! X.509 certificates with SM2 keys (GM/T 0015): what verification needs from them, and the
//! node's own self-signed certificate.

use chrono::{DateTime, Utc};
use sm2::dsa::SigningKey;

use crate::asn1::{self, BIT_STRING, CONTEXT_0, CONTEXT_3, INTEGER, OID, SEQUENCE, SET, write};
use crate::error::FileError;
use crate::sm2sig;

/// `SM2-with-SM3` signature algorithm (GM/T 0006).
pub const OID_SM2_WITH_SM3: &str = "1.2.156.10197.1.501";
/// `id-ecPublicKey` (RFC 5480).
pub const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
/// The SM2 curve (GM/T 0006).
pub const OID_SM2_CURVE: &str = "1.2.156.10197.1.301";
/// `commonName`.
const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
/// `organizationName`.
const OID_O: &str = "2.5.4.10";

/// The facts of a certificate that verification reports and uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject common name.
    pub subject_cn: Option<String>,
    /// Issuer common name.
    pub issuer_cn: Option<String>,
    /// Serial number, upper-case hex without leading zero octets.
    pub serial_hex: String,
    /// The subject's public key, SEC1 encoded.
    pub public_key: Vec<u8>,
    /// The DER of `tbsCertificate` (what the issuer signed).
    pub tbs: Vec<u8>,
    /// The issuer's signature value (BIT STRING content).
    pub signature: Vec<u8>,
    /// The encoded issuer name.
    pub issuer_name: Vec<u8>,
    /// The encoded subject name.
    pub subject_name: Vec<u8>,
}

fn common_name(name: asn1::Tlv<'_>) -> Option<String> {
    for rdn in name.children().flatten() {
        for atv in rdn.children().flatten() {
            let mut c = atv.children();
            let Ok(oid) = c.expect(OID, "attribute type") else {
                continue;
            };
            if oid.value == OID_CN
                && let Ok(v) = c.next_tlv("attribute value")
            {
                return Some(v.text());
            }
        }
    }
    None
}

/// Reads a DER certificate tolerantly (only what verification needs).
pub fn parse(der: &[u8]) -> Result<CertInfo, FileError> {
    let cert = asn1::read_all(der)?.expect(SEQUENCE, "Certificate")?;
    let mut top = cert.children();
    let tbs = top.expect(SEQUENCE, "tbsCertificate")?;
    let _alg = top.expect(SEQUENCE, "signatureAlgorithm")?;
    let sig = top.expect(BIT_STRING, "signatureValue")?;
    let mut f = tbs.children();
    f.next_if(CONTEXT_0)?;
    let serial = f.expect(INTEGER, "serialNumber")?;
    let _sig_alg = f.expect(SEQUENCE, "signature")?;
    let issuer = f.expect(SEQUENCE, "issuer")?;
    let _validity = f.expect(SEQUENCE, "validity")?;
    let subject = f.expect(SEQUENCE, "subject")?;
    let spki = f.expect(SEQUENCE, "subjectPublicKeyInfo")?;
    let mut k = spki.children();
    let _key_alg = k.expect(SEQUENCE, "algorithm")?;
    let key = k.expect(BIT_STRING, "subjectPublicKey")?;
    let (key_bytes, _) = sm2sig::bit_string(key.value)?;
    let serial_digits = serial.value;
    let start = serial_digits
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(serial_digits.len().saturating_sub(1));
    let serial_hex = serial_digits[start..]
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    Ok(CertInfo {
        subject_cn: common_name(subject),
        issuer_cn: common_name(issuer),
        serial_hex,
        public_key: key_bytes.to_vec(),
        tbs: tbs.raw.to_vec(),
        signature: sig.value.to_vec(),
        issuer_name: issuer.raw.to_vec(),
        subject_name: subject.raw.to_vec(),
    })
}

impl CertInfo {
    /// Whether `issuer`'s key verifies this certificate's signature (and names match).
    pub fn is_signed_by(&self, issuer: &CertInfo) -> bool {
        if self.issuer_name != issuer.subject_name {
            return false;
        }
        let Ok((bytes, _)) = sm2sig::bit_string(&self.signature) else {
            return false;
        };
        match sm2sig::read_signature(bytes) {
            Ok(sig) => sm2sig::verify(&issuer.public_key, &self.tbs, &sig),
            Err(_) => false,
        }
    }
}

fn name(cn: &str, org: &str) -> Vec<u8> {
    let rdn = |oid: &str, value: &str| {
        let atv = write::seq(&[&write::oid(oid), &write::utf8(value)]);
        write::constructed(SET, &[&atv])
    };
    let country = write::seq(&[
        &write::oid("2.5.4.6"),
        &write::tlv(asn1::PRINTABLE_STRING, b"CN"),
    ]);
    let parts = [
        write::constructed(SET, &[&country]),
        rdn(OID_O, org),
        rdn("2.5.4.3", cn),
    ];
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    write::seq(&refs)
}

/// Makes a self-signed SM2-with-SM3 certificate for `key` (X.509 v3, basic constraints CA,
/// key usage digitalSignature + nonRepudiation + keyCertSign).
pub fn self_signed(
    key: &SigningKey,
    common_name: &str,
    organization: &str,
    serial: &[u8],
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> Result<Vec<u8>, FileError> {
    let alg = write::seq(&[&write::oid(OID_SM2_WITH_SM3)]);
    let subject = name(common_name, organization);
    let validity = write::seq(&[&write::utc_time(not_before), &write::utc_time(not_after)]);
    let point = key.verifying_key().to_sec1_bytes();
    let spki = write::seq(&[
        &write::seq(&[&write::oid(OID_EC_PUBLIC_KEY), &write::oid(OID_SM2_CURVE)]),
        &write::bit_string(&point),
    ]);
    let basic_constraints = write::seq(&[
        &write::oid("2.5.29.19"),
        &write::tlv(0x01, &[0xFF]),
        &write::octets(&write::seq(&[&write::tlv(0x01, &[0xFF])])),
    ]);
    // digitalSignature(0), nonRepudiation(1), keyCertSign(5): 1100 0100 → 0xC4, 2 unused bits.
    let key_usage = write::seq(&[
        &write::oid("2.5.29.15"),
        &write::tlv(0x01, &[0xFF]),
        &write::octets(&write::tlv(BIT_STRING, &[0x02, 0xC4])),
    ]);
    let extensions =
        write::constructed(CONTEXT_3, &[&write::seq(&[&basic_constraints, &key_usage])]);
    let tbs = write::seq(&[
        &write::constructed(CONTEXT_0, &[&write::small_uint(2)]),
        &write::uint(serial),
        &alg,
        &subject,
        &validity,
        &subject,
        &spki,
        &extensions,
    ]);
    let sig = sm2sig::sign(key, &tbs)?;
    Ok(write::seq(&[&tbs, &alg, &write::bit_string(&sig)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_certificates_read_back_and_verify() {
        let key = SigningKey::from_slice(sm2sig::DEFAULT_USER_ID, &[9u8; 32]).unwrap();
        let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let t1 = DateTime::<Utc>::from_timestamp(2_000_000_000, 0).unwrap();
        let der = self_signed(
            &key,
            "枣庄市电子证照共享服务平台",
            "枣庄市",
            &[0x00, 0x9A, 0x01],
            t0,
            t1,
        )
        .unwrap();
        let info = parse(&der).unwrap();
        assert_eq!(
            info.subject_cn.as_deref(),
            Some("枣庄市电子证照共享服务平台")
        );
        assert_eq!(info.issuer_cn, info.subject_cn);
        assert_eq!(info.serial_hex, "9A01");
        assert_eq!(
            info.public_key,
            key.verifying_key().to_sec1_bytes().to_vec()
        );
        assert!(info.is_signed_by(&info));
        let other = SigningKey::from_slice(sm2sig::DEFAULT_USER_ID, &[8u8; 32]).unwrap();
        let der2 =
            self_signed(&other, "枣庄市电子证照共享服务平台", "枣庄市", &[1], t0, t1).unwrap();
        assert!(!info.is_signed_by(&parse(&der2).unwrap()));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse(b"").is_err());
        assert!(parse(&[0x30, 0x00]).is_err());
    }
}
