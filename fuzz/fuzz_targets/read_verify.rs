//! Files from strangers: every reader and the verifier must return, never panic, on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use license_file::{asn1, cert, cms, package, ses, sm2sig, verify, xml};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    match selector % 7 {
        0 => {
            let _ = verify::verify(rest);
        }
        1 => {
            let _ = package::Package::read(rest, package::Limits::default());
        }
        2 => {
            let _ = ses::parse(rest);
        }
        3 => {
            let _ = cms::parse(rest);
        }
        4 => {
            let _ = cert::parse(rest);
        }
        5 => {
            let _ = sm2sig::read_signature(rest);
            let _ = asn1::read_truncated(rest);
            let _ = asn1::time_text(rest);
            let _ = asn1::oid_text(rest);
        }
        _ => {
            let _ = xml::parse("fuzz.xml", rest);
        }
    }
});
