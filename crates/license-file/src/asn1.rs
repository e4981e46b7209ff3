//! A tolerant reader of DER type-length-value structures.
//!
//! Signed values from other producers break DER in small ways (integers without their sign
//! octet, BIT STRINGs with stray unused-bit counts or a stripped trailing octet). Strict
//! decoders (the `der` crate, which this crate uses to *write*) reject them; verification must
//! read them, note the quirk and go on. This reader checks only what safety needs: every length
//! stays inside its parent, tags are single-octet, lengths are definite. Parsing is driven by
//! the expected structure, so nesting depth is bounded by the code, not the input.

use crate::error::FileError;

/// INTEGER.
pub const INTEGER: u8 = 0x02;
/// BIT STRING.
pub const BIT_STRING: u8 = 0x03;
/// OCTET STRING.
pub const OCTET_STRING: u8 = 0x04;
/// NULL.
pub const NULL: u8 = 0x05;
/// OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// UTF8String.
pub const UTF8_STRING: u8 = 0x0C;
/// PrintableString.
pub const PRINTABLE_STRING: u8 = 0x13;
/// IA5String.
pub const IA5_STRING: u8 = 0x16;
/// UTCTime.
pub const UTC_TIME: u8 = 0x17;
/// GeneralizedTime.
pub const GENERALIZED_TIME: u8 = 0x18;
/// SEQUENCE.
pub const SEQUENCE: u8 = 0x30;
/// SET.
pub const SET: u8 = 0x31;
/// `[0]` constructed (EXPLICIT, or IMPLICIT of a constructed type).
pub const CONTEXT_0: u8 = 0xA0;
/// `[1]` constructed.
pub const CONTEXT_1: u8 = 0xA1;
/// `[3]` constructed.
pub const CONTEXT_3: u8 = 0xA3;

/// One element: its tag, its content and its whole encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The (single-octet) tag.
    pub tag: u8,
    /// The content octets.
    pub value: &'a [u8],
    /// Tag, length and content: the exact bytes a signature covers.
    pub raw: &'a [u8],
    /// Octets the length declared beyond the end of the input (0 unless read with
    /// [`read_truncated`]).
    pub missing: usize,
}

fn der_err(what: &str) -> FileError {
    FileError::Der(what.to_owned())
}

/// Reads the header; returns (tag, header length, declared content length).
fn header(input: &[u8]) -> Result<(u8, usize, usize), FileError> {
    let tag = *input
        .first()
        .ok_or_else(|| der_err("unexpected end of data"))?;
    if tag & 0x1F == 0x1F {
        return Err(der_err("multi-octet tags are not supported"));
    }
    let first = *input.get(1).ok_or_else(|| der_err("missing length"))?;
    if first < 0x80 {
        return Ok((tag, 2, usize::from(first)));
    }
    let n = usize::from(first & 0x7F);
    if n == 0 {
        return Err(der_err("indefinite length"));
    }
    if n > 4 {
        return Err(der_err("length too large"));
    }
    let bytes = input
        .get(2..2 + n)
        .ok_or_else(|| der_err("truncated length"))?;
    let len = bytes.iter().fold(0usize, |l, &b| (l << 8) | usize::from(b));
    Ok((tag, 2 + n, len))
}

/// Reads one element from the front of `input`; returns it and the rest.
pub fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), FileError> {
    let (tag, hl, len) = header(input)?;
    let end = hl
        .checked_add(len)
        .filter(|&e| e <= input.len())
        .ok_or_else(|| der_err("length runs past the end of its container"))?;
    Ok((
        Tlv {
            tag,
            value: &input[hl..end],
            raw: &input[..end],
            missing: 0,
        },
        &input[end..],
    ))
}

/// Reads one element whose declared length may run past the end of `input` (a producer that
/// stripped trailing octets); the shortfall is reported in [`Tlv::missing`].
pub fn read_truncated(input: &[u8]) -> Result<Tlv<'_>, FileError> {
    let (tag, hl, len) = header(input)?;
    if hl > input.len() {
        return Err(der_err("truncated header"));
    }
    let end = (hl + len).min(input.len());
    Ok(Tlv {
        tag,
        value: &input[hl..end],
        raw: &input[..end],
        missing: (hl + len) - end,
    })
}

/// Reads exactly one element that fills `input`.
pub fn read_all(input: &[u8]) -> Result<Tlv<'_>, FileError> {
    let (tlv, rest) = read(input)?;
    if !rest.is_empty() {
        return Err(der_err("trailing data after the structure"));
    }
    Ok(tlv)
}

/// The children of a constructed element, read in order.
#[derive(Debug, Clone)]
pub struct Children<'a> {
    rest: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Iterates the children of this (constructed) element.
    pub fn children(&self) -> Children<'a> {
        Children { rest: self.value }
    }

    /// Checks the tag.
    pub fn expect(self, tag: u8, what: &str) -> Result<Self, FileError> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(FileError::Der(format!(
                "{what}: expected tag {tag:#04x}, found {:#04x}",
                self.tag
            )))
        }
    }

    /// The content as text (UTF-8, lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.value).into_owned()
    }

    /// A non-negative INTEGER of at most 8 octets.
    pub fn small_uint(&self) -> Result<u64, FileError> {
        let v = self.value;
        let v = match v {
            [0, rest @ ..] if !rest.is_empty() => rest,
            _ => v,
        };
        if v.is_empty() || v.len() > 8 {
            return Err(der_err("integer out of range"));
        }
        Ok(v.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b)))
    }
}

impl<'a> Children<'a> {
    /// The next child, or an error naming what was expected.
    pub fn next_tlv(&mut self, what: &str) -> Result<Tlv<'a>, FileError> {
        if self.rest.is_empty() {
            return Err(FileError::Der(format!("{what}: missing")));
        }
        let (tlv, rest) = read(self.rest)?;
        self.rest = rest;
        Ok(tlv)
    }

    /// The next child if it has this tag (for OPTIONAL fields).
    pub fn next_if(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, FileError> {
        if self.rest.first() != Some(&tag) {
            return Ok(None);
        }
        self.next_tlv("optional field").map(Some)
    }

    /// The next child, which must have this tag.
    pub fn expect(&mut self, tag: u8, what: &str) -> Result<Tlv<'a>, FileError> {
        self.next_tlv(what)?.expect(tag, what)
    }

    /// Whether all children were read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<Tlv<'a>, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match read(self.rest) {
            Ok((tlv, rest)) => {
                self.rest = rest;
                Some(Ok(tlv))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// Dotted text of an OBJECT IDENTIFIER's content octets.
pub fn oid_text(value: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut n: u64 = 0;
    for (i, &b) in value.iter().enumerate() {
        n = (n << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (n / 40).min(2);
                arcs.push(first);
                arcs.push(n - first * 40);
            } else {
                arcs.push(n);
            }
            n = 0;
        } else if i == value.len() - 1 || n > (u64::MAX >> 8) {
            return String::from("invalid");
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// A time (UTCTime or GeneralizedTime, either text form) as ISO 8601, `Z` kept when present:
/// `220725214639Z` → `2022-07-25T21:46:39Z`, `20220325094030` → `2022-03-25T09:40:30`.
pub fn time_text(value: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(value).ok()?;
    let (body, zulu) = match s.strip_suffix('Z') {
        Some(b) => (b, "Z"),
        None => (s, ""),
    };
    let body = body.split(['.', '+', '-']).next()?;
    if !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let full = match body.len() {
        12 => {
            let yy: u32 = body[..2].parse().ok()?;
            format!("{}{body}", if yy >= 50 { "19" } else { "20" })
        }
        14 => body.to_owned(),
        _ => return None,
    };
    Some(format!(
        "{}-{}-{}T{}:{}:{}{zulu}",
        &full[0..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_structures() {
        // SEQUENCE { INTEGER 4, IA5String "ES" }
        let d = [0x30, 0x07, 0x02, 0x01, 0x04, 0x16, 0x02, b'E', b'S'];
        let seq = read_all(&d).unwrap().expect(SEQUENCE, "seq").unwrap();
        let mut c = seq.children();
        assert_eq!(c.expect(INTEGER, "v").unwrap().small_uint().unwrap(), 4);
        assert_eq!(c.expect(IA5_STRING, "id").unwrap().text(), "ES");
        assert!(c.is_empty());
    }

    #[test]
    fn rejects_lengths_past_the_container() {
        assert!(read(&[0x30, 0x05, 0x02, 0x01]).is_err());
        assert!(read(&[0x30, 0x80]).is_err());
        assert!(read(&[0x30, 0x85, 1, 2, 3, 4, 5]).is_err());
        assert!(read(&[]).is_err());
        assert!(read(&[0x1F, 0x01, 0x00]).is_err());
        let t = read_truncated(&[0x30, 0x05, 0x02, 0x01, 0x07]).unwrap();
        assert_eq!(t.missing, 2);
    }

    #[test]
    fn oids_and_times() {
        assert_eq!(
            oid_text(&[0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x83, 0x75]),
            "1.2.156.10197.1.501"
        );
        assert_eq!(time_text(b"220725214639Z").unwrap(), "2022-07-25T21:46:39Z");
        assert_eq!(time_text(b"20220325094030").unwrap(), "2022-03-25T09:40:30");
        assert_eq!(
            time_text(b"20220528172844Z").unwrap(),
            "2022-05-28T17:28:44Z"
        );
        assert_eq!(time_text(b"nonsense"), None);
    }
}

/// Writing DER for the structures this crate emits (SES_Signature, certificates). Every value
/// is produced here, so definite minimal lengths and minimal integers are all DER needs.
pub mod write {
    /// One element: tag, minimal definite length, content.
    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(content.len() + 6);
        out.push(tag);
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let bytes = n.to_be_bytes();
            let skip = bytes.iter().take_while(|&&b| b == 0).count();
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(content);
        out
    }

    /// A constructed element from already-encoded children.
    pub fn constructed(tag: u8, children: &[&[u8]]) -> Vec<u8> {
        tlv(tag, &children.concat())
    }

    /// SEQUENCE of already-encoded children.
    pub fn seq(children: &[&[u8]]) -> Vec<u8> {
        constructed(super::SEQUENCE, children)
    }

    /// A non-negative INTEGER from big-endian magnitude octets (minimal, with a sign octet
    /// when the high bit is set).
    pub fn uint(magnitude: &[u8]) -> Vec<u8> {
        let start = magnitude
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(magnitude.len().saturating_sub(1));
        let digits = if magnitude.is_empty() {
            &[0u8][..]
        } else {
            &magnitude[start..]
        };
        let mut content = Vec::with_capacity(digits.len() + 1);
        if digits[0] & 0x80 != 0 {
            content.push(0);
        }
        content.extend_from_slice(digits);
        tlv(super::INTEGER, &content)
    }

    /// A small non-negative INTEGER.
    pub fn small_uint(n: u64) -> Vec<u8> {
        uint(&n.to_be_bytes())
    }

    /// OBJECT IDENTIFIER from dotted text.
    pub fn oid(dotted: &str) -> Vec<u8> {
        let arcs: Vec<u64> = dotted
            .split('.')
            .map(|a| a.parse().expect("valid OID"))
            .collect();
        let mut content = Vec::new();
        let mut push = |mut n: u64| {
            let mut tmp = vec![(n & 0x7F) as u8];
            n >>= 7;
            while n > 0 {
                tmp.push(0x80 | (n & 0x7F) as u8);
                n >>= 7;
            }
            tmp.reverse();
            content.extend_from_slice(&tmp);
        };
        push(arcs[0] * 40 + arcs[1]);
        for &a in &arcs[2..] {
            push(a);
        }
        tlv(super::OID, &content)
    }

    /// BIT STRING with no unused bits.
    pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
        let mut content = Vec::with_capacity(bytes.len() + 1);
        content.push(0);
        content.extend_from_slice(bytes);
        tlv(super::BIT_STRING, &content)
    }

    /// OCTET STRING.
    pub fn octets(bytes: &[u8]) -> Vec<u8> {
        tlv(super::OCTET_STRING, bytes)
    }

    /// UTF8String.
    pub fn utf8(s: &str) -> Vec<u8> {
        tlv(super::UTF8_STRING, s.as_bytes())
    }

    /// IA5String (the caller passes ASCII).
    pub fn ia5(s: &str) -> Vec<u8> {
        tlv(super::IA5_STRING, s.as_bytes())
    }

    /// GeneralizedTime `YYYYMMDDHHMMSSZ`.
    pub fn generalized_time(t: chrono::DateTime<chrono::Utc>) -> Vec<u8> {
        tlv(
            super::GENERALIZED_TIME,
            t.format("%Y%m%d%H%M%SZ").to_string().as_bytes(),
        )
    }

    /// UTCTime `YYMMDDHHMMSSZ` (certificate validity before 2050).
    pub fn utc_time(t: chrono::DateTime<chrono::Utc>) -> Vec<u8> {
        tlv(
            super::UTC_TIME,
            t.format("%y%m%d%H%M%SZ").to_string().as_bytes(),
        )
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn encodes_and_reads_back() {
            assert_eq!(
                oid("1.2.156.10197.1.501"),
                [0x06, 0x08, 0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x83, 0x75]
            );
            assert_eq!(small_uint(4), [0x02, 0x01, 0x04]);
            assert_eq!(small_uint(0), [0x02, 0x01, 0x00]);
            assert_eq!(uint(&[0x00, 0x90]), [0x02, 0x02, 0x00, 0x90]);
            let long = octets(&[7u8; 300]);
            assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2C]);
            let s = seq(&[&small_uint(1), &utf8("证照")]);
            let t = crate::asn1::read_all(&s).unwrap();
            assert_eq!(t.children().count(), 2);
        }
    }
}
