//! Check characters over `0-9A-Z` (ISO/IEC 7064 MOD 37,36 and its legacy variant).
//!
//! Both algorithms run over the identifier body — `type‖issuer‖serial‖version`, no root and no
//! dots (GB/T 36904 §5). [`standard`] and [`legacy`] take it as upper-case ASCII
//! alphanumerics (any other byte yields `None`); [`Both`] runs the two at once over the dotted
//! body text, skipping the dots, which is what parsing needs.

/// The 36 characters of the check alphabet, in value order (`0`→0 … `Z`→35).
pub const ALNUM: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Marks a byte outside the alphabet in [`VALUES`].
pub const INVALID: u8 = 0x80;
/// The symbol of the segment separator `.` in [`VALUES`]: it leaves the state unchanged.
pub const SEPARATOR: u8 = 36;

/// Symbol of every byte: `0-9`→0–9, `A-Z` (and `a-z`)→10–35, `.`→[`SEPARATOR`], anything
/// else [`INVALID`].
pub static VALUES: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 36 {
        t[ALNUM[i] as usize] = i as u8;
        t[ALNUM[i].to_ascii_lowercase() as usize] = i as u8;
        i += 1;
    }
    t[b'.' as usize] = SEPARATOR;
    t
};

/// Value of one alphanumeric byte: `0-9`→0–9, `A-Z`→10–35 (lower case as upper).
#[inline]
pub fn value(b: u8) -> Option<u32> {
    let v = VALUES[usize::from(b)];
    (v < SEPARATOR).then_some(u32::from(v))
}

/// The standard check character: ISO/IEC 7064 MOD 37,36 hybrid system (GB/T 17710), as
/// GB/T 36904 prescribes.
pub fn standard(body: impl IntoIterator<Item = u8>) -> Option<u8> {
    let mut p: u32 = 36;
    for b in body {
        p = standard_step(p, value(b)?);
    }
    Some(ALNUM[((37 - p) % 36) as usize])
}

/// The legacy check character that identifiers from the Shandong platforms carry: a widespread
/// non-standard variant of MOD 37,36 in which letters count one more and the reduction differs.
pub fn legacy(body: impl IntoIterator<Item = u8>) -> Option<u8> {
    let mut p: u32 = 36;
    for b in body {
        p = legacy_step(p, value(b)?);
    }
    // p is in 1..=36 here (2r mod 37 is never 0 for r in 1..=36).
    Some(ALNUM[(36 - p) as usize])
}

/// `2r mod 37` for r in 1..=36.
const fn double_mod_37(r: u32) -> u32 {
    let d = 2 * r;
    if d >= 37 { d - 37 } else { d }
}

/// One step of the standard recurrence from state `p` (1..=36) with value `v`:
/// `t = (p + v) mod 36` with 0 read as 36, then `p = 2t mod 37`.
const fn standard_step(p: u32, v: u32) -> u32 {
    let t = p + v;
    double_mod_37(if t > 36 { t - 36 } else { t })
}

/// One step of the legacy recurrence: digits add their value, letters their value + 1
/// reduced by 37; then `r = t mod 36` with 0 read as 36, and `p = 2r mod 37`.
const fn legacy_step(p: u32, v: u32) -> u32 {
    let t = if v < 10 {
        let t = p + v;
        if t > 36 { t - 36 } else { t }
    } else {
        let t = p + v + 1;
        if t > 37 { t - 37 } else { t }
    };
    double_mod_37(if t > 36 { t - 36 } else { t })
}

/// One step over a symbol (a value, or the separator, which changes nothing).
const fn symbol_step(legacy: bool, p: u32, symbol: u32) -> u32 {
    if symbol == SEPARATOR as u32 {
        p
    } else if legacy {
        legacy_step(p, symbol)
    } else {
        standard_step(p, symbol)
    }
}

/// Symbols: 36 values and the separator.
const SYMBOLS: usize = 37;
/// States are 1..=36; tables keep a slot for each of 0..=36.
const STATES: usize = 37;
/// Two symbols at a time: entry `(s1·37 + s2)·37 + p` is the state after `s1, s2` from state
/// `p`. The recurrence is a chain each step of which waits for the last, so halving the steps
/// is what makes parsing fast.
type PairTable = [u8; SYMBOLS * SYMBOLS * STATES];

const fn pair_table(legacy: bool) -> PairTable {
    let mut t = [0u8; SYMBOLS * SYMBOLS * STATES];
    let mut s1 = 0;
    while s1 < SYMBOLS as u32 {
        let mut s2 = 0;
        while s2 < SYMBOLS as u32 {
            let mut p = 1;
            while p < STATES as u32 {
                let next = symbol_step(legacy, symbol_step(legacy, p, s1), s2);
                t[((s1 * SYMBOLS as u32 + s2) * STATES as u32 + p) as usize] = next as u8;
                p += 1;
            }
            s2 += 1;
        }
        s1 += 1;
    }
    t
}

/// Row offset of a byte as the first symbol of a pair (invalid bytes as the separator; they are
/// flagged through [`VALUES`]).
static FIRST_OF_PAIR: [u16; 256] = pair_offsets(SYMBOLS * STATES);
/// Row offset of a byte as the second symbol of a pair; index 0 (NUL, invalid) is the separator.
static SECOND_OF_PAIR: [u16; 256] = pair_offsets(STATES);

const fn pair_offsets(scale: usize) -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let v = VALUES[i];
        let symbol = if v == INVALID { SEPARATOR } else { v };
        t[i] = (symbol as usize * scale) as u16;
        i += 1;
    }
    t
}

static STANDARD_PAIRS: PairTable = pair_table(false);
static LEGACY_PAIRS: PairTable = pair_table(true);

/// Running state of both check algorithms. The two recurrences are independent, so the
/// processor runs them side by side.
#[derive(Debug, Clone, Copy)]
pub struct Both {
    standard: u32,
    legacy: u32,
}

impl Default for Both {
    fn default() -> Self {
        Both {
            standard: 36,
            legacy: 36,
        }
    }
}

impl Both {
    /// Feeds one alphanumeric byte; `false` (state unchanged) for any other byte.
    pub fn push(&mut self, b: u8) -> bool {
        let Some(v) = value(b) else { return false };
        self.standard = standard_step(self.standard, v);
        self.legacy = legacy_step(self.legacy, v);
        true
    }

    /// Feeds body text in which dots separate segments (dots change nothing); `false` (state
    /// unspecified) if any byte is neither alphanumeric nor a dot.
    #[inline]
    pub fn push_all(&mut self, bytes: &[u8]) -> bool {
        let (mut standard, mut legacy) = (self.standard as usize, self.legacy as usize);
        let mut flags = 0u8;
        let pairs = bytes.chunks_exact(2);
        let rest = pairs.remainder();
        for pair in pairs {
            let (a, b) = (usize::from(pair[0]), usize::from(pair[1]));
            flags |= VALUES[a] | VALUES[b];
            let row = usize::from(FIRST_OF_PAIR[a]) + usize::from(SECOND_OF_PAIR[b]);
            standard = usize::from(STANDARD_PAIRS[row + standard]);
            legacy = usize::from(LEGACY_PAIRS[row + legacy]);
        }
        for &b in rest {
            let row = usize::from(FIRST_OF_PAIR[usize::from(b)]) + usize::from(SECOND_OF_PAIR[0]);
            flags |= VALUES[usize::from(b)];
            // The second symbol of this pair is the separator, which changes nothing.
            standard = usize::from(STANDARD_PAIRS[row + standard]);
            legacy = usize::from(LEGACY_PAIRS[row + legacy]);
        }
        self.standard = standard as u32;
        self.legacy = legacy as u32;
        flags & INVALID == 0
    }

    /// The standard and the legacy check characters of what was fed.
    pub fn finish(self) -> (u8, u8) {
        (
            ALNUM[((37 - self.standard) % 36) as usize],
            ALNUM[(36 - self.legacy) as usize],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_vector_of_the_standard_algorithm() {
        assert_eq!(standard(*b"A12425GABC1234002"), Some(b'M'));
    }

    #[test]
    fn both_agrees_with_each_algorithm() {
        for body in [
            &b"A12425GABC1234002"[..],
            b"0",
            b"Z",
            b"11100000000013338W006113704000042365553VK33PZ9TY58L001",
        ] {
            let mut one = Both::default();
            for &b in body {
                assert!(one.push(b));
            }
            let mut all = Both::default();
            assert!(all.push_all(body));
            for (s, l) in [one.finish(), all.finish()] {
                assert_eq!(Some(s), standard(body.iter().copied()));
                assert_eq!(Some(l), legacy(body.iter().copied()));
            }
        }
        assert!(!Both::default().push(b'.'));
        assert!(!Both::default().push_all(b"AB-C"));
        assert!(!Both::default().push_all("证".as_bytes()));
        // Dots separate segments and change nothing.
        let mut dotted = Both::default();
        assert!(dotted.push_all(b"A1242.5GABC.1234.002"));
        assert_eq!(dotted.finish().0, b'M');
    }

    #[test]
    fn rejects_bytes_outside_the_alphabet() {
        assert_eq!(standard(*b"a-"), None);
        assert_eq!(legacy(*b"A-1"), None);
    }

    #[test]
    fn legacy_differs_from_standard_on_source_examples() {
        let body = b"11100000000013127D00111370000004504927ACFD93524173848F3A2ED4AB7A36E7A50001";
        assert_eq!(legacy(body.iter().copied()), Some(b'8'));
        assert_eq!(standard(body.iter().copied()), Some(b'E'));
    }
}
