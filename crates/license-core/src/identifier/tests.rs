use super::*;
use proptest::prelude::*;

/// Unedited identifiers from the source documents: legacy checks.
const SOURCE_LEGACY: [&str; 3] = [
    "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8",
    "1.2.156.3005.2.11100000000013338W006.113704000042365553.VK33PZ9TY58L.001.9",
    "1.2.156.3005.2.1110000000001332XW002.11370000004504679L.3F354BEBEE9D4D1C8AACDD820D9A6DF8.001.O",
];

/// The documents' hand-edited identifiers: valid under neither scheme.
const SOURCE_EDITED: [&str; 2] = [
    "1.2.156.3005.2.11100000000013127D011.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8",
    "1.2.156.3005.2.11200000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8",
];

#[test]
fn source_identifiers_validate_as_legacy_only() {
    for s in SOURCE_LEGACY {
        let id = CertIdentifier::parse(s, CheckPolicy::Compatible).unwrap();
        assert_eq!(id.scheme(), CheckScheme::Legacy, "{s}");
        assert!(id.deviations().is_empty());
        assert!(matches!(
            CertIdentifier::parse(s, CheckPolicy::Strict),
            Err(IdentifierError::Check { legacy: None, .. })
        ));
    }
}

#[test]
fn hand_edited_identifiers_validate_under_neither_scheme() {
    for s in SOURCE_EDITED {
        for policy in [CheckPolicy::Strict, CheckPolicy::Compatible] {
            assert!(
                matches!(
                    CertIdentifier::parse_lenient(s, policy),
                    Err(IdentifierError::Check { .. })
                ),
                "{s}"
            );
        }
    }
}

#[test]
fn parts_and_normalisation() {
    let id = CertIdentifier::parse(
        "  1.2.156.3005.2.11100000000013338w006.113704000042365553.vk33pz9ty58l.001.9\n",
        CheckPolicy::Compatible,
    )
    .unwrap();
    assert_eq!(id.type_code(), "11100000000013338W006");
    assert_eq!(id.definer_code(), Some("11100000000013338W"));
    assert_eq!(id.issuer_code(), "113704000042365553");
    assert_eq!(id.serial(), "VK33PZ9TY58L");
    assert_eq!(id.version(), "001");
    assert_eq!(id.version_number(), Some(1));
    assert_eq!(id.check_char(), '9');
    assert_eq!(id.standard_check_char(), 'Q');
    assert_eq!(
        id.to_string(),
        "1.2.156.3005.2.11100000000013338W006.113704000042365553.VK33PZ9TY58L.001.9"
    );
}

#[test]
fn build_uses_the_standard_check_and_round_trips() {
    let id = CertIdentifier::build(
        "11100000000013127D001",
        "11370000004504927A",
        "CFD93524173848F3A2ED4AB7A36E7A50",
        1,
    )
    .unwrap();
    assert_eq!(id.scheme(), CheckScheme::Standard);
    assert_eq!(id.check_char(), 'E');
    let again = CertIdentifier::parse(id.as_str(), CheckPolicy::Strict).unwrap();
    assert_eq!(again, id);
    let next = id.next_version().unwrap();
    assert_eq!(next.version(), "002");
    assert_eq!(next.scheme(), CheckScheme::Standard);
}

#[test]
fn build_rejects_bad_segments() {
    let e = CertIdentifier::build("1110000000001312", "11370000004504927A", "A", 1).unwrap_err();
    assert!(matches!(
        e,
        IdentifierError::Segment {
            segment: Segment::Type,
            ..
        }
    ));
    let e = CertIdentifier::build("11100000000013127D001", "370400", "A", 1).unwrap_err();
    assert!(matches!(
        e,
        IdentifierError::Segment {
            segment: Segment::Issuer,
            ..
        }
    ));
    let e =
        CertIdentifier::build("11100000000013127D001", "11370000004504927A", "a", 1).unwrap_err();
    assert!(matches!(
        e,
        IdentifierError::Segment {
            segment: Segment::Serial,
            ..
        }
    ));
    let e =
        CertIdentifier::build("11100000000013127D001", "11370000004504927A", "A", 0).unwrap_err();
    assert!(matches!(
        e,
        IdentifierError::Segment {
            segment: Segment::Version,
            ..
        }
    ));
    // GB 32100 check of the embedded issuer code.
    let e =
        CertIdentifier::build("11100000000013127D001", "11370000004504927B", "A", 1).unwrap_err();
    assert!(matches!(
        e,
        IdentifierError::Segment {
            segment: Segment::Issuer,
            ..
        }
    ));
}

#[test]
fn lenient_parse_reports_a_region_code_issuer() {
    // A 6-digit region code where the issuer code belongs, with a valid (standard) check.
    let body = "11100000000013127D001370400ABC123001";
    let c = char::from(crate::check::standard(body.bytes()).unwrap());
    let s = format!("1.2.156.3005.2.11100000000013127D001.370400.ABC123.001.{c}");
    let id = CertIdentifier::parse_lenient(&s, CheckPolicy::Strict).unwrap();
    assert_eq!(id.issuer_code(), "370400");
    assert_eq!(id.deviations().len(), 1);
    assert_eq!(id.deviations()[0].segment, Segment::Issuer);
    assert_eq!(id.deviations()[0].found, "`370400`");
    let e = CertIdentifier::parse(&s, CheckPolicy::Strict).unwrap_err();
    assert_eq!(
        e.to_string(),
        "issuer code: expected an 18-character GB 32100 code, found `370400`"
    );
    // The same deviation with a wrong check character is not accepted even leniently.
    let bad = format!("{}{}", &s[..s.len() - 1], if c == '0' { '1' } else { '0' });
    assert!(matches!(
        CertIdentifier::parse_lenient(&bad, CheckPolicy::Compatible),
        Err(IdentifierError::Check { .. })
    ));
}

#[test]
fn shape_errors_name_the_segment() {
    let cases: &[(&str, &str)] = &[
        ("", "identifier is empty"),
        (
            "1.2.156.3005.3.X",
            "root: expected the root 1.2.156.3005.2, found `1.2.156.3005.3.`",
        ),
        (
            "1.2.156.3005.2.A.B.C",
            "expected 5 dot-separated segments after 1.2.156.3005.2, found 3",
        ),
        (
            "1.2.156.3005.2.A..C.001.1",
            "issuer code: expected characters 0-9A-Z, found ``",
        ),
        (
            "1.2.156.3005.2.A.B.C-D.001.1",
            "serial: expected characters 0-9A-Z, found `C-D`",
        ),
        (
            "1.2.156.3005.2.A.B.C.001.12",
            "check character: expected one character of 0-9A-Z, found `12`",
        ),
        (
            "1.2.156.3005.2.A.B.C.001.证",
            "check character: expected one character of 0-9A-Z, found `证`",
        ),
    ];
    for (input, msg) in cases {
        let e = CertIdentifier::parse(input, CheckPolicy::Compatible).unwrap_err();
        assert_eq!(&e.to_string(), msg, "{input}");
    }
    let e = CertIdentifier::parse(SOURCE_EDITED[0], CheckPolicy::Compatible).unwrap_err();
    assert_eq!(
        e.to_string(),
        "check character: expected 2 (standard) or Z (legacy), found 8"
    );
    let long = "1".repeat(MAX_INPUT_LEN + 1);
    assert_eq!(
        CertIdentifier::parse(&long, CheckPolicy::Compatible),
        Err(IdentifierError::TooLong {
            found: MAX_INPUT_LEN + 1
        })
    );
}

fn arb_identifier() -> impl Strategy<Value = CertIdentifier> {
    (
        "[0-9A-HJ-NP-RTUW-Y]{17}",
        "[0-9]{3}",
        "[0-9A-HJ-NP-RTUW-Y]{17}",
        "[0-9A-Z]{1,64}",
        1u16..=999,
    )
        .prop_map(|(definer, seq, issuer, serial, version)| {
            let definer = complete_authority_code(&definer).unwrap();
            let issuer = complete_authority_code(&issuer).unwrap();
            CertIdentifier::build(&format!("{definer}{seq}"), &issuer, &serial, version).unwrap()
        })
}

proptest! {
    #[test]
    fn build_parse_round_trips(id in arb_identifier()) {
        let parsed = CertIdentifier::parse(id.as_str(), CheckPolicy::Strict).unwrap();
        prop_assert_eq!(parsed.scheme(), CheckScheme::Standard);
        prop_assert_eq!(&parsed, &id);
        let lower = id.as_str().to_ascii_lowercase();
        prop_assert_eq!(CertIdentifier::parse(&lower, CheckPolicy::Strict).unwrap(), id);
    }

    /// MOD 37,36 detects every single-character substitution in the body.
    #[test]
    fn every_single_substitution_is_detected(id in arb_identifier(), pick in any::<prop::sample::Index>(), by in 1usize..36) {
        let text = id.as_str().as_bytes().to_vec();
        let body_start = ROOT.len() + 1;
        let check_pos = text.len() - 1;
        let positions: Vec<usize> = (body_start..check_pos - 1)
            .filter(|&i| text[i] != b'.')
            .collect();
        let pos = positions[pick.index(positions.len())];
        let mut changed = text.clone();
        let v = crate::check::value(changed[pos]).unwrap() as usize;
        changed[pos] = crate::check::ALNUM[(v + by) % 36];
        let s = String::from_utf8(changed).unwrap();
        let detected = matches!(
            CertIdentifier::parse_lenient(&s, CheckPolicy::Strict),
            Err(IdentifierError::Check { .. })
        );
        prop_assert!(detected, "substitution not detected: {}", s);
    }

    #[test]
    fn parsing_never_panics(s in "\\PC{0,200}") {
        let _ = CertIdentifier::parse(&s, CheckPolicy::Compatible);
        let _ = CertIdentifier::parse_lenient(&s, CheckPolicy::Strict);
    }

    #[test]
    fn parsing_never_panics_on_near_identifiers(
        segs in prop::collection::vec("[0-9A-Za-z\u{4e00}-\u{4e10}.]{0,30}", 0..8)
    ) {
        let s = format!("{ROOT}.{}", segs.join("."));
        let _ = CertIdentifier::parse_lenient(&s, CheckPolicy::Compatible);
    }
}
