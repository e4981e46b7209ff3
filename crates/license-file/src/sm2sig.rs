//! SM2 signature values as producers store them, and SM2-with-SM3 verification and signing
//! (GB/T 32918, user id `1234567812345678`, GB/T 35276).

use sm2::dsa::signature::{Signer, Verifier};
use sm2::dsa::{Signature, SigningKey, VerifyingKey};

use crate::asn1::{self, INTEGER, SEQUENCE};
use crate::error::FileError;

/// The default distinguishing identifier of SM2 signatures (GB/T 35276 §5.1.4.4).
pub const DEFAULT_USER_ID: &str = "1234567812345678";

/// An encoding departure a real producer emits; accepted by default, failed in strict mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Quirk {
    /// A BIT STRING's unused-bits octet is non-zero (trailing zero bits stripped; the octets are
    /// used as stored).
    NonzeroUnusedBits,
    /// A whole trailing `0x00` octet was stripped; restored from the declared DER length.
    StrippedZeroOctet,
    /// The signature is raw 64-byte `r‖s`, not DER `SEQUENCE{r,s}`.
    RawRs,
    /// A DER INTEGER has its high bit set without a leading `0x00` (read as unsigned).
    IntegerMissingSignOctet,
    /// A seal's `certListType` is neither 1 nor 2; its entries are read as certificates.
    NonstandardCertListType,
}

impl Quirk {
    /// The tag used in reports (`shared/testdata/ofd/expected.json` `quirk_tags`).
    pub fn tag(self) -> &'static str {
        match self {
            Quirk::NonzeroUnusedBits => "bitstring-nonzero-unused-bits",
            Quirk::StrippedZeroOctet => "bitstring-stripped-zero-octet",
            Quirk::RawRs => "raw-rs-signature",
            Quirk::IntegerMissingSignOctet => "integer-missing-sign-octet",
            Quirk::NonstandardCertListType => "nonstandard-certlisttype",
        }
    }
}

/// The octets of a BIT STRING's content, with a quirk when the unused-bits count is non-zero.
pub fn bit_string(value: &[u8]) -> Result<(&[u8], Option<Quirk>), FileError> {
    let (&unused, bytes) = value
        .split_first()
        .ok_or_else(|| FileError::Der("empty BIT STRING".into()))?;
    if unused > 7 {
        return Err(FileError::Der(
            "BIT STRING unused-bits count above 7".into(),
        ));
    }
    Ok((bytes, (unused != 0).then_some(Quirk::NonzeroUnusedBits)))
}

/// An SM2 signature read from its stored bytes, with the quirks met on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSignature {
    /// `r`, 32 octets big-endian.
    pub r: [u8; 32],
    /// `s`, 32 octets big-endian.
    pub s: [u8; 32],
    /// Departures from DER.
    pub quirks: Vec<Quirk>,
}

fn scalar(value: &[u8], quirks: &mut Vec<Quirk>) -> Result<[u8; 32], FileError> {
    if value.first().is_some_and(|b| b & 0x80 != 0)
        && !quirks.contains(&Quirk::IntegerMissingSignOctet)
    {
        quirks.push(Quirk::IntegerMissingSignOctet);
    }
    let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
    let digits = &value[start..];
    if digits.len() > 32 {
        return Err(FileError::Der(
            "signature integer longer than 32 octets".into(),
        ));
    }
    let mut out = [0u8; 32];
    out[32 - digits.len()..].copy_from_slice(digits);
    Ok(out)
}

/// Reads an SM2 signature stored as DER `SEQUENCE{r,s}` (tolerating a stripped trailing zero
/// octet and integers without sign octets) or as raw 64-byte `r‖s`.
pub fn read_signature(bytes: &[u8]) -> Result<StoredSignature, FileError> {
    let mut quirks = Vec::new();
    if bytes.first() == Some(&SEQUENCE) {
        let outer = asn1::read_truncated(bytes)?;
        let padded;
        let seq = if outer.missing > 0 {
            if outer.missing > 2 {
                return Err(FileError::Der("signature value is truncated".into()));
            }
            quirks.push(Quirk::StrippedZeroOctet);
            let mut v = bytes.to_vec();
            v.resize(bytes.len() + outer.missing, 0);
            padded = v;
            asn1::read(&padded)?.0
        } else {
            outer
        };
        let mut c = seq.children();
        let parsed = (|| {
            let r = c.expect(INTEGER, "r")?;
            let s = c.expect(INTEGER, "s")?;
            Ok::<_, FileError>((r, s))
        })();
        if let Ok((r, s)) = parsed {
            let r = scalar(r.value, &mut quirks)?;
            let s = scalar(s.value, &mut quirks)?;
            return Ok(StoredSignature { r, s, quirks });
        }
        if bytes.len() != 64 {
            return Err(FileError::Der(
                "signature is neither DER nor raw r‖s".into(),
            ));
        }
        quirks.clear();
    }
    if bytes.len() == 64 {
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&bytes[..32]);
        s.copy_from_slice(&bytes[32..]);
        return Ok(StoredSignature {
            r,
            s,
            quirks: vec![Quirk::RawRs],
        });
    }
    Err(FileError::Der(format!(
        "signature of {} octets is neither DER nor raw r‖s",
        bytes.len()
    )))
}

/// Verifies an SM2-with-SM3 signature over `message` with an uncompressed or compressed SEC1
/// public key, under the default user id.
pub fn verify(public_key: &[u8], message: &[u8], sig: &StoredSignature) -> bool {
    let Ok(key) = VerifyingKey::from_sec1_bytes(DEFAULT_USER_ID, public_key) else {
        return false;
    };
    let Ok(signature) = Signature::from_scalars(sig.r, sig.s) else {
        return false;
    };
    key.verify(message, &signature).is_ok()
}

/// Signs `message` with SM2-with-SM3 under the default user id; returns DER `SEQUENCE{r,s}`.
pub fn sign(key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, FileError> {
    let sig: Signature = key
        .try_sign(message)
        .map_err(|e| FileError::Key(format!("SM2 signing failed: {e}")))?;
    Ok(sig.to_der().as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_slice(DEFAULT_USER_ID, &[7u8; 32]).unwrap()
    }

    #[test]
    fn sign_then_verify_der_and_raw() {
        let k = key();
        let der = sign(&k, b"message").unwrap();
        let pk = k.verifying_key().to_sec1_bytes();
        let sig = read_signature(&der).unwrap();
        assert!(sig.quirks.is_empty());
        assert!(verify(&pk, b"message", &sig));
        assert!(!verify(&pk, b"messagf", &sig));
        let mut raw = sig.r.to_vec();
        raw.extend_from_slice(&sig.s);
        let raw_sig = read_signature(&raw).unwrap();
        assert_eq!(raw_sig.quirks, [Quirk::RawRs]);
        assert!(verify(&pk, b"message", &raw_sig));
    }

    #[test]
    fn tolerates_missing_sign_octets_and_stripped_zeros() {
        // r with its high bit set, stored without the 0x00 sign octet.
        let mut r = [0x11u8; 32];
        r[0] = 0x90;
        let s = [0x22u8; 32];
        let mut der = vec![0x30, 0x44, 0x02, 0x20];
        der.extend_from_slice(&r);
        der.extend_from_slice(&[0x02, 0x20]);
        der.extend_from_slice(&s);
        let sig = read_signature(&der).unwrap();
        assert_eq!(sig.quirks, [Quirk::IntegerMissingSignOctet]);
        assert_eq!(sig.r, r);
        // s ends in 0x00 and the producer dropped that octet.
        let mut s0 = s;
        s0[31] = 0;
        let mut der2 = vec![0x30, 0x44, 0x02, 0x20, 0x01];
        der2.extend_from_slice(&[0x11; 31]);
        der2.extend_from_slice(&[0x02, 0x20]);
        der2.extend_from_slice(&s0[..31]);
        let sig2 = read_signature(&der2).unwrap();
        assert_eq!(sig2.quirks, [Quirk::StrippedZeroOctet]);
        assert_eq!(sig2.s, s0);
    }

    #[test]
    fn rejects_garbage() {
        assert!(read_signature(&[]).is_err());
        assert!(read_signature(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_err());
        assert!(read_signature(&[1u8; 63]).is_err());
        assert!(bit_string(&[]).is_err());
        assert!(bit_string(&[8, 0]).is_err());
        assert_eq!(
            bit_string(&[1, 0xFE]).unwrap().1,
            Some(Quirk::NonzeroUnusedBits)
        );
    }
}
