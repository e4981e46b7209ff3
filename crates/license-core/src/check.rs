//! Check characters over `0-9A-Z` (ISO/IEC 7064 MOD 37,36 and its legacy variant).
//!
//! Both functions take the identifier body — `type‖issuer‖serial‖version`, no root and no dots
//! (GB/T 36904 §5) — as an iterator of upper-case ASCII alphanumerics. Callers validate the
//! alphabet first; any other byte yields `None`.

/// The 36 characters of the check alphabet, in value order (`0`→0 … `Z`→35).
pub const ALNUM: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Value of one upper-case alphanumeric byte: `0-9`→0–9, `A-Z`→10–35.
#[inline]
pub fn value(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'A'..=b'Z' => Some(u32::from(b - b'A') + 10),
        _ => None,
    }
}

/// The standard check character: ISO/IEC 7064 MOD 37,36 hybrid system (GB/T 17710), as
/// GB/T 36904 prescribes.
pub fn standard(body: impl IntoIterator<Item = u8>) -> Option<u8> {
    let mut p: u32 = 36;
    for b in body {
        let mut t = (p + value(b)?) % 36;
        if t == 0 {
            t = 36;
        }
        p = (2 * t) % 37;
    }
    Some(ALNUM[((37 - p) % 36) as usize])
}

/// The legacy check character that identifiers from the Shandong platforms carry: a widespread
/// non-standard variant of MOD 37,36 in which letters count one more and the reduction differs.
pub fn legacy(body: impl IntoIterator<Item = u8>) -> Option<u8> {
    let mut p: u32 = 36;
    for b in body {
        let v = value(b)?;
        let t = if b.is_ascii_digit() {
            let t = p + v;
            if t > 36 { t - 36 } else { t }
        } else {
            let t = p + v + 1;
            if t > 37 { t - 37 } else { t }
        };
        let mut r = t % 36;
        if r == 0 {
            r = 36;
        }
        p = (2 * r) % 37;
    }
    // p is in 1..=36 here (2r mod 37 is never 0 for r in 1..=36).
    Some(ALNUM[(36 - p) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_vector_of_the_standard_algorithm() {
        assert_eq!(standard(*b"A12425GABC1234002"), Some(b'M'));
    }

    #[test]
    fn rejects_bytes_outside_the_alphabet() {
        assert_eq!(standard(*b"ab"), None);
        assert_eq!(legacy(*b"A-1"), None);
    }

    #[test]
    fn legacy_differs_from_standard_on_source_examples() {
        let body = b"11100000000013127D00111370000004504927ACFD93524173848F3A2ED4AB7A36E7A50001";
        assert_eq!(legacy(body.iter().copied()), Some(b'8'));
        assert_eq!(standard(body.iter().copied()), Some(b'E'));
    }
}
