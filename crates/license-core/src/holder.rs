//! Holder codes (持证主体代码): citizen ID numbers (GB 11643) and unified social credit codes
//! (GB 32100), validated by holder-code type (DB3704/T 0042 appendix 7.2).

use thiserror::Error;

/// A holder code as it is stored, searched and audited: trimmed, ASCII letters in upper case
/// (a citizen ID's check character `x` is `X`; unified social credit codes are upper case by
/// GB 32100), so that one holder is one code wherever it enters.
pub fn normalize_holder_code(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// Holder-code type of a citizen ID number (公民身份号码).
pub const CITIZEN_ID_TYPE: &str = "111";
/// Holder-code type of a unified social credit code (统一社会信用代码).
pub const USCC_TYPE: &str = "001";
/// Longest holder code accepted for the types without a checksum.
pub const MAX_OTHER_CODE_CHARS: usize = 64;

/// Why a holder code failed its type's check. The message says which rule broke.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HolderCodeError {
    /// The code is empty or only whitespace.
    #[error("holder code is empty")]
    Empty,
    /// The code has the wrong number of characters for its type.
    #[error("expected {expected} characters, found {found}")]
    Length {
        /// Characters the type requires.
        expected: usize,
        /// Characters found.
        found: usize,
    },
    /// A character outside the type's alphabet, at a 1-based position.
    #[error("character {position} is not allowed here ({rule})")]
    Character {
        /// 1-based position of the offending character.
        position: usize,
        /// The alphabet that applies at that position.
        rule: &'static str,
    },
    /// The birth date at characters 7–14 of a citizen ID is not a real date.
    #[error("characters 7-14 are not a real birth date (YYYYMMDD)")]
    BirthDate,
    /// The check character does not match (GB 11643 or GB 32100).
    #[error("check character is wrong ({standard}: expected {expected}, found {found})")]
    Check {
        /// The standard whose check failed.
        standard: &'static str,
        /// The check character the body implies.
        expected: char,
        /// The check character found.
        found: char,
    },
    /// A character that is not printable, for the types without a checksum.
    #[error("holder code contains a non-printable character")]
    NotPrintable,
}

/// GB 11643 weights for the 17 body digits of a citizen ID number.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// GB 11643 check characters indexed by `Σ aᵢwᵢ mod 11`.
const ID_CHECKS: &[u8; 11] = b"10X98765432";

/// Validates an 18-character citizen ID number (GB 11643-1999): 17 digits, a real birth date
/// `YYYYMMDD` at characters 7–14, and the MOD 11-2 check character (`X` in either case).
pub fn validate_citizen_id(code: &str) -> Result<(), HolderCodeError> {
    let b = code.as_bytes();
    if b.is_empty() {
        return Err(HolderCodeError::Empty);
    }
    let chars = code.chars().count();
    if chars != 18 || b.len() != 18 {
        return Err(HolderCodeError::Length {
            expected: 18,
            found: chars,
        });
    }
    let mut sum = 0u32;
    for (i, (&c, w)) in b[..17].iter().zip(ID_WEIGHTS).enumerate() {
        if !c.is_ascii_digit() {
            return Err(HolderCodeError::Character {
                position: i + 1,
                rule: "digits 0-9",
            });
        }
        sum += u32::from(c - b'0') * w;
    }
    let last = b[17].to_ascii_uppercase();
    if !(last.is_ascii_digit() || last == b'X') {
        return Err(HolderCodeError::Character {
            position: 18,
            rule: "a digit or X",
        });
    }
    if !is_real_date(&b[6..14]) {
        return Err(HolderCodeError::BirthDate);
    }
    let expected = ID_CHECKS[(sum % 11) as usize];
    if last != expected {
        return Err(HolderCodeError::Check {
            standard: "GB 11643",
            expected: char::from(expected),
            found: char::from(b[17]),
        });
    }
    Ok(())
}

/// `YYYYMMDD` digits naming a real calendar date with a year from 1800 on.
fn is_real_date(d: &[u8]) -> bool {
    let num = |s: &[u8]| s.iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
    let (year, month, day) = (num(&d[0..4]), num(&d[4..6]), num(&d[6..8]));
    if year < 1800 || !(1..=12).contains(&month) || day == 0 {
        return false;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    day <= days
}

/// The 31 characters of the GB 32100 alphabet, in value order (no I, O, S, V, Z).
pub const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Marks a byte outside the GB 32100 alphabet in [`USCC_VALUES`].
const NOT_USCC: u8 = 0x80;

/// Value of every byte in the GB 32100 alphabet, [`NOT_USCC`] elsewhere.
static USCC_VALUES: [u8; 256] = {
    let mut t = [NOT_USCC; 256];
    let mut i = 0;
    while i < USCC_ALPHABET.len() {
        t[USCC_ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Value of a GB 32100 character, or `None` outside its alphabet.
#[inline]
fn uscc_value(c: u8) -> Option<u32> {
    let v = USCC_VALUES[usize::from(c)];
    (v != NOT_USCC).then_some(u32::from(v))
}

/// GB 32100 weights `3^(i−1) mod 31` for the 17 body characters.
const USCC_WEIGHTS: [u32; 17] = {
    let mut w = [0u32; 17];
    let mut i = 0;
    let mut p = 1u32;
    while i < 17 {
        w[i] = p;
        p = (p * 3) % 31;
        i += 1;
    }
    w
};

/// The GB 32100 check character for a 17-character body, or `None` if the body is not 17
/// characters of the code's alphabet.
pub fn uscc_check_char(body: &[u8]) -> Option<u8> {
    let body: &[u8; 17] = body.try_into().ok()?;
    // Branch-free over the fixed 17 characters; a byte outside the alphabet sets the flag.
    let mut sum = 0u32;
    let mut flags = 0u8;
    for i in 0..17 {
        let v = USCC_VALUES[usize::from(body[i])];
        flags |= v;
        sum += u32::from(v & 0x1F) * USCC_WEIGHTS[i];
    }
    (flags & NOT_USCC == 0).then(|| USCC_ALPHABET[((31 - sum % 31) % 31) as usize])
}

/// Validates an 18-character unified social credit code (GB 32100-2015): the code's alphabet
/// (upper case only) and its check character. Also used for the 18-character codes inside
/// GB/T 36904 identifiers and cert-type codes.
pub fn validate_uscc(code: &str) -> Result<(), HolderCodeError> {
    let b = code.as_bytes();
    if b.is_empty() {
        return Err(HolderCodeError::Empty);
    }
    if b.len() != 18 {
        return Err(HolderCodeError::Length {
            expected: 18,
            found: code.chars().count(),
        });
    }
    let expected = match uscc_check_char(&b[..17]) {
        Some(c) if uscc_value(b[17]).is_some() => c,
        _ => {
            let i = b
                .iter()
                .position(|&c| uscc_value(c).is_none())
                .expect("a byte is outside the alphabet");
            return Err(HolderCodeError::Character {
                position: i + 1,
                rule: "GB 32100 alphabet 0-9 A-H J-N P-R T U W-Y",
            });
        }
    };
    if b[17] != expected {
        return Err(HolderCodeError::Check {
            standard: "GB 32100",
            expected: char::from(expected),
            found: char::from(b[17]),
        });
    }
    Ok(())
}

/// Validates a holder code for its holder-code type: `111` by GB 11643, `001` by GB 32100, any
/// other type as non-empty, at most 64 printable characters. Whether the type itself exists is
/// the dictionary's question (`license-dict`), not this function's.
pub fn validate_holder_code(type_code: &str, code: &str) -> Result<(), HolderCodeError> {
    match type_code {
        CITIZEN_ID_TYPE => validate_citizen_id(code),
        USCC_TYPE => validate_uscc(code),
        _ => validate_other(code),
    }
}

/// The rule for holder-code types without a checksum.
fn validate_other(code: &str) -> Result<(), HolderCodeError> {
    if code.trim().is_empty() {
        return Err(HolderCodeError::Empty);
    }
    let mut n = 0;
    for c in code.chars() {
        if c.is_control() {
            return Err(HolderCodeError::NotPrintable);
        }
        n += 1;
    }
    if n > MAX_OTHER_CODE_CHARS {
        return Err(HolderCodeError::Length {
            expected: MAX_OTHER_CODE_CHARS,
            found: n,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn citizen_ids() {
        assert_eq!(validate_citizen_id("11010519491231002X"), Ok(()));
        assert_eq!(validate_citizen_id("11010519491231002x"), Ok(()));
        assert!(matches!(
            validate_citizen_id("110105194912310021"),
            Err(HolderCodeError::Check { expected: 'X', .. })
        ));
        // 1949-02-30 is no date.
        assert_eq!(
            validate_citizen_id("110105194902300020"),
            Err(HolderCodeError::BirthDate)
        );
        assert!(matches!(
            validate_citizen_id("1101051949123100"),
            Err(HolderCodeError::Length { found: 16, .. })
        ));
        assert!(matches!(
            validate_citizen_id("11010519491231A02X"),
            Err(HolderCodeError::Character { position: 15, .. })
        ));
        assert_eq!(validate_citizen_id(""), Err(HolderCodeError::Empty));
        // Non-ASCII of 18 bytes is not 18 characters.
        assert!(validate_citizen_id("一二三四五六").is_err());
    }

    #[test]
    fn leap_days() {
        assert!(is_real_date(b"20000229"));
        assert!(!is_real_date(b"19000229"));
        assert!(is_real_date(b"19960229"));
        assert!(!is_real_date(b"19970229"));
        assert!(!is_real_date(b"19971301"));
        assert!(!is_real_date(b"17991231"));
    }

    #[test]
    fn uscc() {
        assert_eq!(validate_uscc("91110000600037341L"), Ok(()));
        assert_eq!(validate_uscc("11370000004504927A"), Ok(()));
        assert!(matches!(
            validate_uscc("91110000600037341M"),
            Err(HolderCodeError::Check { expected: 'L', .. })
        ));
        // I, O, S, V, Z are not in the alphabet; lower case is not accepted.
        assert!(matches!(
            validate_uscc("9111000060003734IL"),
            Err(HolderCodeError::Character { position: 17, .. })
        ));
        assert!(validate_uscc("91110000600037341l").is_err());
    }

    #[test]
    fn by_type() {
        assert_eq!(validate_holder_code("111", "11010519491231002X"), Ok(()));
        assert_eq!(validate_holder_code("001", "91110000600037341L"), Ok(()));
        assert!(validate_holder_code("001", "11010519491231002X").is_err());
        assert_eq!(validate_holder_code("414", "E12345678"), Ok(()));
        assert_eq!(
            validate_holder_code("414", "  "),
            Err(HolderCodeError::Empty)
        );
        assert_eq!(
            validate_holder_code("999", "a\u{0}b"),
            Err(HolderCodeError::NotPrintable)
        );
        assert!(validate_holder_code("999", &"护".repeat(64)).is_ok());
        assert!(validate_holder_code("999", &"护".repeat(65)).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(t in "\\PC{0,4}", c in "\\PC{0,40}") {
            let _ = validate_holder_code(&t, &c);
            let _ = validate_citizen_id(&c);
            let _ = validate_uscc(&c);
        }

        #[test]
        fn any_single_digit_change_of_a_citizen_id_is_caught(pos in 0usize..17, d in 1u8..10) {
            let mut id = *b"11010519491231002X";
            id[pos] = b'0' + (id[pos] - b'0' + d) % 10;
            let s = std::str::from_utf8(&id).unwrap();
            prop_assert!(validate_citizen_id(s).is_err());
        }

        #[test]
        fn computed_uscc_check_validates(body in "[0-9A-HJ-NP-RTUW-Y]{17}") {
            let c = uscc_check_char(body.as_bytes()).unwrap();
            let code = format!("{body}{}", char::from(c));
            prop_assert_eq!(validate_uscc(&code), Ok(()));
        }
    }
}
