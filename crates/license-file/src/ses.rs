//! Electronic seal signatures, `SES_Signature` (GB/T 38540-2020 v4, and the v1 layout of
//! GM/T 0031-2014): reading any producer's, writing ours.

use chrono::{DateTime, Utc};

use crate::asn1::{
    self, BIT_STRING, GENERALIZED_TIME, IA5_STRING, INTEGER, OCTET_STRING, OID, SEQUENCE,
    UTF8_STRING, write,
};
use crate::cert::OID_SM2_WITH_SM3;
use crate::error::FileError;

/// The seal (`SESeal`) inside a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal<'a> {
    /// The whole `SESeal` encoding (compared with a seal file named by `BaseLoc`).
    pub raw: &'a [u8],
    /// `SES_SealInfo` encoding: what the seal maker signed.
    pub info_raw: &'a [u8],
    /// `esID`.
    pub es_id: String,
    /// `Vid` of the header.
    pub vid: String,
    /// Seal name (NUL padding removed).
    pub name: String,
    /// `certListType` (v4; 1 for v1, whose list holds certificates).
    pub cert_list_type: u64,
    /// Entries of `certList`: certificates (type 1) or digest objects (type 2).
    pub cert_list: Vec<&'a [u8]>,
    /// The seal maker's certificate.
    pub maker_cert: &'a [u8],
    /// The maker's signature (BIT STRING content).
    pub maker_signature: &'a [u8],
}

/// A parsed `SES_Signature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesSignature<'a> {
    /// `TBS_Sign.version` (4, or 1–3 for the GM/T 0031 layout).
    pub version: u64,
    /// The exact `TBS_Sign` encoding: what the signer signed.
    pub tbs_raw: &'a [u8],
    /// The seal.
    pub seal: Seal<'a>,
    /// `timeInfo` as text, when readable.
    pub time: Option<String>,
    /// `dataHash` (BIT STRING content).
    pub data_hash: &'a [u8],
    /// `propertyInfo`.
    pub property_info: String,
    /// The signer's certificate.
    pub signer_cert: &'a [u8],
    /// The signature algorithm OID.
    pub signature_algorithm: String,
    /// The signature (BIT STRING content).
    pub signature: &'a [u8],
}

fn parse_seal(eseal: asn1::Tlv<'_>, v4: bool) -> Result<Seal<'_>, FileError> {
    let mut s = eseal.expect(SEQUENCE, "SESeal")?.children();
    let info = s.expect(SEQUENCE, "SES_SealInfo")?;
    let (maker_cert, maker_signature) = if v4 {
        let cert = s.expect(OCTET_STRING, "SESeal.cert")?;
        let _alg = s.expect(OID, "SESeal.signAlgID")?;
        let sig = s.expect(BIT_STRING, "SESeal.signedValue")?;
        (cert.value, sig.value)
    } else {
        let mut si = s.expect(SEQUENCE, "SES_SignInfo")?.children();
        let cert = si.expect(OCTET_STRING, "SES_SignInfo.cert")?;
        let _alg = si.expect(OID, "SES_SignInfo.signatureAlgorithm")?;
        let sig = si.expect(BIT_STRING, "SES_SignInfo.signData")?;
        (cert.value, sig.value)
    };
    let mut i = info.children();
    let mut header = i.expect(SEQUENCE, "SES_Header")?.children();
    let _id = header.expect(IA5_STRING, "SES_Header.ID")?;
    let _ver = header.expect(INTEGER, "SES_Header.version")?;
    let vid = header.expect(IA5_STRING, "SES_Header.Vid")?.text();
    let es_id = i.expect(IA5_STRING, "esID")?.text();
    let mut p = i.expect(SEQUENCE, "SES_ESPropertyInfo")?.children();
    let _type = p.expect(INTEGER, "property.type")?;
    let name = p.expect(UTF8_STRING, "property.name")?.text();
    let cert_list_type = if v4 {
        p.expect(INTEGER, "certListType")?.small_uint()?
    } else {
        1
    };
    let list = p.expect(SEQUENCE, "certList")?;
    let mut cert_list = Vec::new();
    for entry in list.children() {
        let entry = entry?;
        cert_list.push(if entry.tag == OCTET_STRING {
            entry.value
        } else {
            entry.raw
        });
    }
    Ok(Seal {
        raw: eseal.raw,
        info_raw: info.raw,
        es_id,
        vid,
        name: name.trim_end_matches('\0').to_owned(),
        cert_list_type,
        cert_list,
        maker_cert,
        maker_signature,
    })
}

/// Reads a `SES_Signature` (v4 or v1) from its DER.
pub fn parse(der: &[u8]) -> Result<SesSignature<'_>, FileError> {
    let top = asn1::read_all(der)?.expect(SEQUENCE, "SES_Signature")?;
    let mut t = top.children();
    let tbs = t.expect(SEQUENCE, "TBS_Sign")?;
    let mut f = tbs.children();
    let version = f.expect(INTEGER, "TBS_Sign.version")?.small_uint()?;
    let v4 = version >= 4;
    let eseal = f.next_tlv("TBS_Sign.eseal")?;
    let seal = parse_seal(eseal, v4)?;
    let time = f.next_tlv("TBS_Sign.timeInfo")?;
    let time = match time.tag {
        GENERALIZED_TIME | asn1::UTC_TIME => asn1::time_text(time.value),
        BIT_STRING => time.value.get(1..).and_then(asn1::time_text),
        _ => None,
    };
    let data_hash = f.expect(BIT_STRING, "TBS_Sign.dataHash")?.value;
    let property_info = f.expect(IA5_STRING, "TBS_Sign.propertyInfo")?.text();
    let (signer_cert, signature_algorithm, signature) = if v4 {
        let cert = t.expect(OCTET_STRING, "SES_Signature.cert")?.value;
        let alg = t.expect(OID, "SES_Signature.signatureAlgID")?;
        let sig = t.expect(BIT_STRING, "SES_Signature.signature")?.value;
        (cert, asn1::oid_text(alg.value), sig)
    } else {
        let cert = f.expect(OCTET_STRING, "TBS_Sign.cert")?.value;
        let alg = f.expect(OID, "TBS_Sign.signatureAlgorithm")?;
        let sig = t.expect(BIT_STRING, "SES_Signature.signature")?.value;
        (cert, asn1::oid_text(alg.value), sig)
    };
    Ok(SesSignature {
        version,
        tbs_raw: tbs.raw,
        seal,
        time,
        data_hash,
        property_info,
        signer_cert,
        signature_algorithm,
        signature,
    })
}

/// What our seals carry (GB/T 38540 §5): identity, the certificates allowed to use the seal,
/// the seal picture, validity.
#[derive(Debug, Clone)]
pub struct SealSpec<'a> {
    /// `esID`.
    pub es_id: &'a str,
    /// `Vid`: the producer.
    pub vid: &'a str,
    /// Seal name.
    pub name: &'a str,
    /// Certificates allowed to sign with the seal.
    pub certs: &'a [&'a [u8]],
    /// Picture type (`PNG`).
    pub picture_type: &'a str,
    /// Picture bytes.
    pub picture: &'a [u8],
    /// Picture size in millimetres.
    pub picture_mm: (u32, u32),
    /// Validity.
    pub valid: (DateTime<Utc>, DateTime<Utc>),
    /// When the seal was made.
    pub created: DateTime<Utc>,
}

/// Encodes a v4 `SESeal` signed by the seal maker (`maker_sign` signs `SES_SealInfo`).
pub fn build_seal(
    spec: &SealSpec<'_>,
    maker_cert: &[u8],
    maker_sign: impl Fn(&[u8]) -> Result<Vec<u8>, FileError>,
) -> Result<Vec<u8>, FileError> {
    let header = write::seq(&[
        &write::ia5("ES"),
        &write::small_uint(4),
        &write::ia5(spec.vid),
    ]);
    let certs: Vec<Vec<u8>> = spec.certs.iter().map(|c| write::octets(c)).collect();
    let cert_refs: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
    let property = write::seq(&[
        &write::small_uint(1),
        &write::utf8(spec.name),
        &write::small_uint(1),
        &write::seq(&cert_refs),
        &write::generalized_time(spec.created),
        &write::generalized_time(spec.valid.0),
        &write::generalized_time(spec.valid.1),
    ]);
    let picture = write::seq(&[
        &write::ia5(spec.picture_type),
        &write::octets(spec.picture),
        &write::small_uint(u64::from(spec.picture_mm.0)),
        &write::small_uint(u64::from(spec.picture_mm.1)),
    ]);
    let info = write::seq(&[&header, &write::ia5(spec.es_id), &property, &picture]);
    let maker_sig = maker_sign(&info)?;
    Ok(write::seq(&[
        &info,
        &write::octets(maker_cert),
        &write::oid(OID_SM2_WITH_SM3),
        &write::bit_string(&maker_sig),
    ]))
}

/// Encodes a v4 `SES_Signature` over `data_hash` (SM3 of the raw `Signature.xml`), signed by
/// `sign` over the `TBS_Sign` encoding.
pub fn build_signature(
    seal: &[u8],
    time: DateTime<Utc>,
    data_hash: &[u8],
    property_info: &str,
    signer_cert: &[u8],
    sign: impl Fn(&[u8]) -> Result<Vec<u8>, FileError>,
) -> Result<Vec<u8>, FileError> {
    let tbs = write::seq(&[
        &write::small_uint(4),
        seal,
        &write::generalized_time(time),
        &write::bit_string(data_hash),
        &write::ia5(property_info),
    ]);
    let signature = sign(&tbs)?;
    Ok(write::seq(&[
        &tbs,
        &write::octets(signer_cert),
        &write::oid(OID_SM2_WITH_SM3),
        &write::bit_string(&signature),
    ]))
}
