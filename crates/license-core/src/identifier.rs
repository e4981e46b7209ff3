//! Electronic license identifiers (电子证照标识, GB/T 36904-2018).
//!
//! `1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>`, where `type` is the
//! 18-character code of the defining authority plus a 3-digit sequence, `issuer` the issuing
//! authority's 18-character code, `serial` 1–64 characters of `0-9A-Z`, `version` 3 digits
//! (`001` first) and `check` one character over `type‖issuer‖serial‖version`.
//!
//! Two check schemes are in circulation (see [`CheckScheme`]); which ones are accepted is a
//! [`CheckPolicy`]. Identifiers the project issues always use [`CheckScheme::Standard`].
//!
//! **Lenient parsing** ([`CertIdentifier::parse_lenient`]). Real identifiers sometimes deviate
//! from the grammar — a 6-digit region code where the 18-character issuer code belongs, a
//! serial longer than 64 characters, an embedded code whose GB 32100 check fails. The decision
//! taken here: a deviating segment is accepted only when the identifier keeps its shape (the
//! root and exactly five dot-separated segments, each non-empty `0-9A-Z`, a one-character check)
//! **and** its check character is valid under the policy; each deviation is then reported in
//! [`CertIdentifier::deviations`], never hidden. The strict [`CertIdentifier::parse`] rejects any
//! deviation.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use thiserror::Error;

use crate::check;
use crate::holder::{uscc_check_char, validate_uscc};

/// The fixed root arc of every electronic license identifier (GB/T 36904 §5.1).
pub const ROOT: &str = "1.2.156.3005.2";

/// Characters of the type code: 18-character authority code + 3-digit sequence.
pub const TYPE_CODE_LEN: usize = 21;
/// Characters of an authority code (GB 32100 unified social credit code).
pub const AUTHORITY_CODE_LEN: usize = 18;
/// Longest serial the grammar allows.
pub const MAX_SERIAL_LEN: usize = 64;
/// Characters of the version segment.
pub const VERSION_LEN: usize = 3;
/// Longest input considered at all; anything longer is rejected before any other work.
pub const MAX_INPUT_LEN: usize = 512;

/// Which check-character algorithm an identifier's check matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckScheme {
    /// ISO/IEC 7064 MOD 37,36 hybrid (GB/T 17710), as GB/T 36904 prescribes.
    Standard,
    /// The non-standard variant carried by identifiers from the Shandong platforms.
    Legacy,
}

impl CheckScheme {
    /// Lower-case name, as printed by `licensed id check`.
    pub fn name(self) -> &'static str {
        match self {
            CheckScheme::Standard => "standard",
            CheckScheme::Legacy => "legacy",
        }
    }
}

impl fmt::Display for CheckScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which check schemes an input identifier may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CheckPolicy {
    /// Only the standard scheme.
    Strict,
    /// The standard or the legacy scheme — the default for input, since existing data carries
    /// legacy checks.
    #[default]
    Compatible,
}

/// The segments of an identifier, for errors and deviations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Segment {
    /// The root `1.2.156.3005.2`.
    Root,
    /// The 21-character cert-type code.
    Type,
    /// The issuing authority's 18-character code.
    Issuer,
    /// The serial number.
    Serial,
    /// The 3-digit version.
    Version,
    /// The check character.
    Check,
}

impl Segment {
    /// The segment's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Segment::Root => "root",
            Segment::Type => "type code",
            Segment::Issuer => "issuer code",
            Segment::Serial => "serial",
            Segment::Version => "version",
            Segment::Check => "check character",
        }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an identifier was rejected: the segment, what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdentifierError {
    /// Nothing but whitespace.
    #[error("identifier is empty")]
    Empty,
    /// Longer than [`MAX_INPUT_LEN`] bytes.
    #[error("identifier is {found} bytes long, expected at most {MAX_INPUT_LEN}")]
    TooLong {
        /// Bytes found.
        found: usize,
    },
    /// A segment does not follow the grammar.
    #[error("{segment}: expected {expected}, found {found}")]
    Segment {
        /// The offending segment.
        segment: Segment,
        /// What the grammar requires there.
        expected: &'static str,
        /// What the input has there (shortened when long).
        found: String,
    },
    /// The identifier does not have the five segments after the root.
    #[error("expected 5 dot-separated segments after {ROOT}, found {found}")]
    SegmentCount {
        /// Segments found after the root.
        found: usize,
    },
    /// The check character matches no accepted scheme.
    #[error(
        "check character: expected {standard} (standard){legacy_note}, found {found}",
        legacy_note = match legacy { Some(c) => format!(" or {c} (legacy)"), None => String::new() }
    )]
    Check {
        /// The check character found.
        found: char,
        /// The standard check character of the body.
        standard: char,
        /// The legacy check character, when the policy would have accepted it.
        legacy: Option<char>,
    },
}

/// A departure from the grammar that a lenient parse accepted because the check character held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    /// The deviating segment.
    pub segment: Segment,
    /// What the grammar requires there.
    pub expected: &'static str,
    /// What the identifier has there.
    pub found: String,
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, found {}",
            self.segment, self.expected, self.found
        )
    }
}

/// A parsed, validated GB/T 36904 electronic license identifier, normalised to upper case.
/// Equality and hashing follow the normalised text (everything else derives from it).
#[derive(Debug, Clone)]
pub struct CertIdentifier {
    text: String,
    /// Byte ranges of type, issuer, serial, version and check in `text`.
    parts: [Range<u16>; 5],
    scheme: CheckScheme,
    deviations: Vec<Deviation>,
}

const TYPE_EXPECTED: &str = "21 characters: an 18-character GB 32100 code and a 3-digit sequence";
const ISSUER_EXPECTED: &str = "an 18-character GB 32100 code";
const SERIAL_EXPECTED: &str = "1 to 64 characters of 0-9A-Z";
const VERSION_EXPECTED: &str = "3 digits from 001";
const ALNUM_EXPECTED: &str = "characters 0-9A-Z";

/// Shortens untrusted text for a message.
fn shown(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        format!("`{s}`")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("`{head}…` ({} characters)", s.chars().count())
    }
}

fn seg_err(segment: Segment, expected: &'static str, found: &str) -> IdentifierError {
    IdentifierError::Segment {
        segment,
        expected,
        found: shown(found),
    }
}

/// Grammar deviations of each body segment (empty when the segment is exact).
fn grammar_deviations(
    type_code: &str,
    issuer: &str,
    serial: &str,
    version: &str,
) -> Vec<Deviation> {
    let mut out = Vec::new();
    let mut push = |segment, expected, found: &str| {
        out.push(Deviation {
            segment,
            expected,
            found: shown(found),
        })
    };
    let tb = type_code.as_bytes();
    if tb.len() != TYPE_CODE_LEN
        || !tb[AUTHORITY_CODE_LEN..].iter().all(u8::is_ascii_digit)
        || validate_uscc(&type_code[..AUTHORITY_CODE_LEN]).is_err()
    {
        push(Segment::Type, TYPE_EXPECTED, type_code);
    }
    if validate_uscc(issuer).is_err() {
        push(Segment::Issuer, ISSUER_EXPECTED, issuer);
    }
    if serial.len() > MAX_SERIAL_LEN {
        push(Segment::Serial, SERIAL_EXPECTED, serial);
    }
    if version.len() != VERSION_LEN
        || !version.bytes().all(|b| b.is_ascii_digit())
        || version == "000"
    {
        push(Segment::Version, VERSION_EXPECTED, version);
    }
    out
}

impl CertIdentifier {
    /// Parses and validates strictly: the grammar must hold exactly (embedded 18-character codes
    /// included, by GB 32100) and the check character must match a scheme `policy` accepts.
    /// Input is trimmed and upper-cased.
    pub fn parse(input: &str, policy: CheckPolicy) -> Result<Self, IdentifierError> {
        let id = Self::parse_lenient(input, policy)?;
        match id.deviations.first() {
            None => Ok(id),
            Some(d) => Err(IdentifierError::Segment {
                segment: d.segment,
                expected: d.expected,
                found: d.found.clone(),
            }),
        }
    }

    /// Parses leniently: the shape must hold and the check character must match a scheme
    /// `policy` accepts, but grammar deviations inside segments are accepted and reported in
    /// [`deviations`](Self::deviations) (see the module documentation for the rule).
    pub fn parse_lenient(input: &str, policy: CheckPolicy) -> Result<Self, IdentifierError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(IdentifierError::Empty);
        }
        if trimmed.len() > MAX_INPUT_LEN {
            return Err(IdentifierError::TooLong {
                found: trimmed.len(),
            });
        }
        let root_len = ROOT.len() + 1;
        let root_ok = trimmed.len() >= root_len
            && trimmed.as_bytes()[..ROOT.len()] == *ROOT.as_bytes()
            && trimmed.as_bytes()[ROOT.len()] == b'.';
        if !root_ok {
            let found = trimmed.get(..root_len).unwrap_or(trimmed);
            return Err(seg_err(Segment::Root, "the root 1.2.156.3005.2", found));
        }
        let text = trimmed.to_ascii_uppercase();
        let bytes = text.as_bytes();
        let mut parts: [Range<u16>; 5] = Default::default();
        let mut count = 0usize;
        let mut seg_start = root_len;
        for i in memchr::memchr_iter(b'.', &bytes[root_len..]) {
            if count < 5 {
                // Bounded by MAX_INPUT_LEN, so u16 holds every offset.
                parts[count] = seg_start as u16..(root_len + i) as u16;
            }
            count += 1;
            seg_start = root_len + i + 1;
        }
        if count < 5 {
            parts[count] = seg_start as u16..bytes.len() as u16;
        }
        count += 1;
        if count != 5 {
            return Err(IdentifierError::SegmentCount { found: count });
        }
        let seg = |i: usize| &text[parts[i].start as usize..parts[i].end as usize];
        // Both check algorithms run over the body text at once (dots change nothing); only if
        // a byte is outside the alphabet, or a segment is empty, are the segments examined one
        // by one to say which.
        let mut sums = check::Both::default();
        let body_ok = sums.push_all(&bytes[parts[0].start as usize..parts[3].end as usize]);
        let check_ok =
            parts[4].len() == 1 && check::value(bytes[parts[4].start as usize]).is_some();
        if !body_ok || !check_ok || parts.iter().any(|r| r.start == r.end) {
            let names = [
                Segment::Type,
                Segment::Issuer,
                Segment::Serial,
                Segment::Version,
                Segment::Check,
            ];
            for (i, name) in names.into_iter().enumerate() {
                let s = seg(i);
                if s.is_empty() || !s.bytes().all(|b| check::value(b).is_some()) {
                    let expected = match name {
                        Segment::Check => "one character of 0-9A-Z",
                        _ => ALNUM_EXPECTED,
                    };
                    return Err(seg_err(name, expected, s));
                }
            }
        }
        let check = seg(4);
        if check.len() != 1 {
            return Err(seg_err(Segment::Check, "one character of 0-9A-Z", check));
        }
        let found = check.as_bytes()[0];
        let (standard, legacy) = sums.finish();
        let scheme = if found == standard {
            CheckScheme::Standard
        } else {
            match policy {
                CheckPolicy::Compatible if found == legacy => CheckScheme::Legacy,
                CheckPolicy::Compatible => {
                    return Err(IdentifierError::Check {
                        found: char::from(found),
                        standard: char::from(standard),
                        legacy: Some(char::from(legacy)),
                    });
                }
                CheckPolicy::Strict => {
                    return Err(IdentifierError::Check {
                        found: char::from(found),
                        standard: char::from(standard),
                        legacy: None,
                    });
                }
            }
        };
        let deviations = grammar_deviations(seg(0), seg(1), seg(2), seg(3));
        Ok(CertIdentifier {
            text,
            parts,
            scheme,
            deviations,
        })
    }

    /// Builds a new identifier with the standard check character. Every segment must follow the
    /// grammar exactly; `version` is 1–999.
    pub fn build(
        type_code: &str,
        issuer_code: &str,
        serial: &str,
        version: u16,
    ) -> Result<Self, IdentifierError> {
        if !(1..=999).contains(&version) {
            return Err(seg_err(
                Segment::Version,
                VERSION_EXPECTED,
                &version.to_string(),
            ));
        }
        let checks: [(Segment, &str, &'static str); 3] = [
            (Segment::Type, type_code, TYPE_EXPECTED),
            (Segment::Issuer, issuer_code, ISSUER_EXPECTED),
            (Segment::Serial, serial, SERIAL_EXPECTED),
        ];
        for (segment, s, expected) in checks {
            if s.is_empty()
                || s.len() > MAX_SERIAL_LEN
                || !s
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
            {
                return Err(seg_err(segment, expected, s));
            }
        }
        let version = format!("{version:03}");
        if let Some(d) = grammar_deviations(type_code, issuer_code, serial, &version)
            .into_iter()
            .next()
        {
            return Err(IdentifierError::Segment {
                segment: d.segment,
                expected: d.expected,
                found: d.found,
            });
        }
        let body = [type_code, issuer_code, serial, version.as_str()];
        let c = check::standard(body.iter().flat_map(|s| s.bytes())).expect("alphabet checked");
        let text = format!(
            "{ROOT}.{type_code}.{issuer_code}.{serial}.{version}.{}",
            char::from(c)
        );
        Self::parse(&text, CheckPolicy::Strict)
    }

    /// The same identifier at the next version, with a fresh standard check character
    /// (re-issue after correction). Fails past version 999 or if this one deviates.
    pub fn next_version(&self) -> Result<Self, IdentifierError> {
        let v = self.version_number().unwrap_or(999);
        Self::build(self.type_code(), self.issuer_code(), self.serial(), v + 1)
    }

    fn part(&self, i: usize) -> &str {
        &self.text[self.parts[i].start as usize..self.parts[i].end as usize]
    }

    /// The whole identifier, upper case.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The 21-character cert-type code (证照类型代码).
    pub fn type_code(&self) -> &str {
        self.part(0)
    }

    /// The defining authority's 18-character code (the type code's prefix), when the type code
    /// follows the grammar.
    pub fn definer_code(&self) -> Option<&str> {
        let t = self.type_code();
        (t.len() == TYPE_CODE_LEN).then(|| &t[..AUTHORITY_CODE_LEN])
    }

    /// The issuing authority's code (颁发机构代码).
    pub fn issuer_code(&self) -> &str {
        self.part(1)
    }

    /// The serial number (证照顺序号).
    pub fn serial(&self) -> &str {
        self.part(2)
    }

    /// The version segment as written.
    pub fn version(&self) -> &str {
        self.part(3)
    }

    /// The version as a number, when it is three digits.
    pub fn version_number(&self) -> Option<u16> {
        let v = self.version();
        (v.len() == VERSION_LEN && v.bytes().all(|b| b.is_ascii_digit()))
            .then(|| v.parse().ok())
            .flatten()
    }

    /// The check character.
    pub fn check_char(&self) -> char {
        char::from(self.text.as_bytes()[self.parts[4].start as usize])
    }

    /// The scheme the check character matched.
    pub fn scheme(&self) -> CheckScheme {
        self.scheme
    }

    /// The standard check character of this identifier's body (what a re-issue would carry).
    pub fn standard_check_char(&self) -> char {
        let body_text = &self.text[self.parts[0].start as usize..self.parts[3].end as usize];
        let body = body_text.bytes().filter(|&b| b != b'.');
        char::from(check::standard(body).expect("validated at parse"))
    }

    /// Grammar deviations a lenient parse accepted; empty for an exact identifier.
    pub fn deviations(&self) -> &[Deviation] {
        &self.deviations
    }
}

impl PartialEq for CertIdentifier {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for CertIdentifier {}

impl std::hash::Hash for CertIdentifier {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl fmt::Display for CertIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for CertIdentifier {
    type Err = IdentifierError;

    /// Strict grammar, [`CheckPolicy::Compatible`] checks.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s, CheckPolicy::Compatible)
    }
}

impl AsRef<str> for CertIdentifier {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// Computes the GB 32100 check character that completes a 17-character authority-code body;
/// a convenience for tests and tools that make up codes.
pub fn complete_authority_code(body17: &str) -> Option<String> {
    let c = uscc_check_char(body17.as_bytes())?;
    Some(format!("{body17}{}", char::from(c)))
}

#[cfg(test)]
mod tests;
