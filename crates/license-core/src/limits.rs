//! Upper bounds of what a caller can make the node store, defined once: the audit log's
//! bounded columns (values the caller does not choose as a parameter are cut to them with a
//! marker, never refused) and the documented maxima of the free-text parameters (a longer value
//! answers `24` before anything is stored).

use std::borrow::Cow;

/// What ends a value that was cut to its bound.
pub const CUT_MARKER: char = '…';

/// The audit log's `request_id` column, in characters.
pub const AUDIT_REQUEST_ID_CHARS: usize = 64;
/// The audit log's `interface` column, in characters.
pub const AUDIT_INTERFACE_CHARS: usize = 64;
/// The audit log's `username` column (also the username tried at a login), in characters.
pub const AUDIT_USERNAME_CHARS: usize = 128;
/// The audit log's `client_addr` column, in characters.
pub const AUDIT_CLIENT_ADDR_CHARS: usize = 64;
/// The audit log's `holder_code` column, in characters.
pub const AUDIT_HOLDER_CODE_CHARS: usize = 64;

/// Longest free-text parameter that is stored (system, matter and operator names, districts,
/// departments, certificate numbers…), in characters; longer → `24`.
pub const MAX_TEXT_CHARS: usize = 255;
/// Longest holder code (`certificateHolderCode`), in characters; longer → `24`.
pub const MAX_HOLDER_CODE_CHARS: usize = AUDIT_HOLDER_CODE_CHARS;
/// Longest key (`certificateID`, `certificateIdentifier`, `fileNumber`, `certIdentifier`,
/// `abstractCode`, `qrValue`), in characters; longer → `24`.
pub const MAX_KEY_CHARS: usize = 512;

/// `value` cut to at most `max_chars` characters, the last of them [`CUT_MARKER`] when cut.
pub fn cut(value: &str, max_chars: usize) -> Cow<'_, str> {
    match value.char_indices().nth(max_chars) {
        None => Cow::Borrowed(value),
        Some(_) if max_chars == 0 => Cow::Borrowed(""),
        Some(_) => {
            // Byte offset of the (max_chars - 1)th character: the marker takes the last place.
            let end = value
                .char_indices()
                .nth(max_chars - 1)
                .map_or(value.len(), |(i, _)| i);
            let mut s = String::with_capacity(end + CUT_MARKER.len_utf8());
            s.push_str(&value[..end]);
            s.push(CUT_MARKER);
            Cow::Owned(s)
        }
    }
}

/// Cuts an owned value in place (see [`cut`]).
pub fn cut_in_place(value: &mut String, max_chars: usize) {
    if let Cow::Owned(s) = cut(value, max_chars) {
        *value = s;
    }
}

/// Whether `value` is longer than `max_chars` characters.
pub fn too_long(value: &str, max_chars: usize) -> bool {
    value.char_indices().nth(max_chars).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cuts_with_a_marker() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
        assert_eq!(cut("证照共享服务", 4), "证照共…");
        assert_eq!(cut("", 0), "");
        assert_eq!(cut("a", 0), "");
        assert!(too_long("abcd", 3));
        assert!(!too_long("abc", 3));
        let mut s = "x".repeat(100);
        cut_in_place(&mut s, AUDIT_CLIENT_ADDR_CHARS);
        assert_eq!(s.chars().count(), AUDIT_CLIENT_ADDR_CHARS);
        assert!(s.ends_with(CUT_MARKER));
    }

    proptest! {
        #[test]
        fn never_longer_than_the_bound(v in "\\PC{0,80}", max in 0usize..70) {
            let c = cut(&v, max);
            prop_assert!(c.chars().count() <= max);
            if v.chars().count() <= max {
                prop_assert_eq!(c.as_ref(), v.as_str());
            } else {
                prop_assert!(c.is_empty() || c.ends_with(CUT_MARKER));
            }
        }
    }
}
