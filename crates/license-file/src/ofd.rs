//! Writing a license's OFD package (GB/T 33190) and reading its metadata back.
//!
//! Parts: `OFD.xml` (document info, the identifier in `CustomDatas`), `Doc_0/Document.xml`,
//! `Doc_0/PublicRes.xml`, `Doc_0/DocumentRes.xml`, `Doc_0/Pages/Page_0/Content.xml` (the face,
//! all vector), `Doc_0/Tags/CustomTags.xml` + `Doc_0/Tags/Metadata.xml` (GB/T 36903 metadata),
//! `Doc_0/Annots/Annotations.xml` (the annotation layer, empty until a copy is made) and
//! `Doc_0/Signs/Signatures.xml`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use sm3::{Digest, Sm3};

use crate::error::FileError;
use crate::layout::{self, PAGE_H, PAGE_W, Rgb, Shape};
use crate::model::{CopyFacts, LicenseDocument};
use crate::package::{self, Package};
use crate::xml::{self, Element, escape};

/// The OFD namespace.
pub const OFD_NS: &str = "http://www.ofdspec.org/2016";
/// Namespace of this project's GB/T 36903 metadata tag file.
pub const METADATA_NS: &str = "urn:license-platform:gbt36903:1";
/// `CustomData` name of the identifier in `OFD.xml`.
pub const CUSTOM_IDENTIFIER: &str = "CertIdentifier";
/// The metadata part.
pub const METADATA_PART: &str = "Doc_0/Tags/Metadata.xml";
/// The annotation list part.
pub const ANNOTATIONS_PART: &str = "Doc_0/Annots/Annotations.xml";
/// The signature list part.
pub const SIGNATURES_PART: &str = "Doc_0/Signs/Signatures.xml";
/// `CustomData` names of an annotated copy's facts in `OFD.xml`.
pub const COPY_KEYS: [&str; 6] = [
    "CopyCreatedAt",
    "CopyCreator",
    "CopyCause",
    "CopyExpiresOn",
    "CopySystem",
    "CopyMatter",
];
const FONT_ID: u32 = 2;
const XML_DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Numbers in OFD attributes: at most three decimals, no trailing zeros — what `{v:.3}`
/// trimmed gives, in integer arithmetic (float formatting to a precision was an eighth of the
/// time to issue a file): an `f32` times 1000 is exact in an `f64`, and ties go to even, as
/// `{:.3}` rounds.
fn num(v: f32) -> String {
    let thousandths = (f64::from(v) * 1000.0).round_ties_even();
    if !thousandths.is_finite() || thousandths.abs() >= 1e15 {
        return num_formatted(v);
    }
    // In range: |thousandths| < 1e15 is exact as an integer.
    let t = thousandths as i64;
    let (whole, frac) = (t.unsigned_abs() / 1000, t.unsigned_abs() % 1000);
    let sign = if t < 0 { "-" } else { "" };
    match frac {
        0 => format!("{sign}{whole}"),
        f if f % 100 == 0 => format!("{sign}{whole}.{}", f / 100),
        f if f % 10 == 0 => format!("{sign}{whole}.{:02}", f / 10),
        f => format!("{sign}{whole}.{f:03}"),
    }
}

/// [`num`] by float formatting: the definition, used out of the integer range.
fn num_formatted(v: f32) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_owned() }
}

fn color(c: Rgb) -> String {
    format!("{} {} {}", c.0, c.1, c.2)
}

/// Writes shapes as OFD page objects into `out`, numbering from `next_id`; returns the next
/// free id.
pub(crate) fn shapes_xml(shapes: &[Shape], mut next_id: u32, out: &mut String) -> u32 {
    let page = format!("0 0 {} {}", num(PAGE_W), num(PAGE_H));
    for shape in shapes {
        let id = next_id;
        next_id += 1;
        match shape {
            Shape::Text {
                x,
                y,
                size,
                color: c,
                text,
            } => {
                let _ = write!(
                    out,
                    r#"<ofd:TextObject ID="{id}" Boundary="{page}" Font="{FONT_ID}" Size="{}"><ofd:FillColor Value="{}"/><ofd:TextCode X="{}" Y="{}">{}</ofd:TextCode></ofd:TextObject>"#,
                    num(*size),
                    color(*c),
                    num(*x),
                    num(*y),
                    escape(text)
                );
            }
            Shape::Rect {
                x,
                y,
                w,
                h,
                line,
                color: c,
            } => {
                let d = format!(
                    "M {} {} L {} {} L {} {} L {} {} C",
                    num(*x),
                    num(*y),
                    num(x + w),
                    num(*y),
                    num(x + w),
                    num(y + h),
                    num(*x),
                    num(y + h)
                );
                stroke_path(out, id, &page, *line, *c, &d);
            }
            Shape::Circle {
                cx,
                cy,
                r,
                line,
                color: c,
            } => {
                let (r_, a, b) = (num(*r), num(cx + r), num(cx - r));
                let cy = num(*cy);
                let d =
                    format!("M {a} {cy} A {r_} {r_} 0 1 0 {b} {cy} A {r_} {r_} 0 1 0 {a} {cy} C");
                stroke_path(out, id, &page, *line, *c, &d);
            }
            Shape::Polygon { points, color: c } => {
                let mut d = String::new();
                for (i, (px, py)) in points.iter().enumerate() {
                    let _ = write!(
                        d,
                        "{} {} {} ",
                        if i == 0 { "M" } else { "L" },
                        num(*px),
                        num(*py)
                    );
                }
                d.push('C');
                fill_path(out, id, &page, *c, &d);
            }
            Shape::Squares { size, at, color: c } => {
                let mut d = String::with_capacity(at.len() * 48);
                let s = *size;
                for (x, y) in at {
                    let _ = write!(
                        d,
                        "M {} {} L {} {} L {} {} L {} {} C ",
                        num(*x),
                        num(*y),
                        num(x + s),
                        num(*y),
                        num(x + s),
                        num(y + s),
                        num(*x),
                        num(y + s)
                    );
                }
                fill_path(out, id, &page, *c, d.trim_end());
            }
        }
    }
    next_id
}

fn stroke_path(out: &mut String, id: u32, page: &str, line: f32, c: Rgb, d: &str) {
    let _ = write!(
        out,
        r#"<ofd:PathObject ID="{id}" Boundary="{page}" LineWidth="{}" Stroke="true" Fill="false"><ofd:StrokeColor Value="{}"/><ofd:AbbreviatedData>{d}</ofd:AbbreviatedData></ofd:PathObject>"#,
        num(line),
        color(c)
    );
}

fn fill_path(out: &mut String, id: u32, page: &str, c: Rgb, d: &str) {
    let _ = write!(
        out,
        r#"<ofd:PathObject ID="{id}" Boundary="{page}" Stroke="false" Fill="true"><ofd:FillColor Value="{}"/><ofd:AbbreviatedData>{d}</ofd:AbbreviatedData></ofd:PathObject>"#,
        color(c)
    );
}

fn custom_data(pairs: &[(&str, String)]) -> String {
    let mut s = String::from("<ofd:CustomDatas>");
    for (k, v) in pairs {
        let _ = write!(
            s,
            r#"<ofd:CustomData Name="{}">{}</ofd:CustomData>"#,
            escape(k),
            escape(v)
        );
    }
    s.push_str("</ofd:CustomDatas>");
    s
}

fn ofd_xml(doc: &LicenseDocument, extra: &[(&str, String)]) -> String {
    let doc_id: String = Sm3::digest(doc.identifier.as_bytes())[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut pairs = vec![(CUSTOM_IDENTIFIER, doc.identifier.clone())];
    pairs.extend(extra.iter().cloned());
    format!(
        r#"{XML_DECL}<ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.1" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>{doc_id}</ofd:DocID><ofd:Title>{}</ofd:Title><ofd:Author>{}</ofd:Author><ofd:CreationDate>{}</ofd:CreationDate><ofd:Creator>license-platform</ofd:Creator><ofd:CreatorVersion>{}</ofd:CreatorVersion>{}</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot><ofd:Signatures>{SIGNATURES_PART}</ofd:Signatures></ofd:DocBody></ofd:OFD>"#,
        escape(&doc.certificate_name),
        escape(&doc.issue_dept),
        doc.issue_date.format("%Y-%m-%d"),
        env!("CARGO_PKG_VERSION"),
        custom_data(&pairs)
    )
}

fn metadata_xml(doc: &LicenseDocument) -> String {
    let mut s = format!(r#"{XML_DECL}<LicenseMetadata xmlns="{METADATA_NS}">"#);
    let fields: [(&str, String); 15] = [
        ("CertIdentifier", doc.identifier.clone()),
        ("FileNumber", doc.file_number.clone()),
        ("CertificateName", doc.certificate_name.clone()),
        ("CertTypeCode", doc.cert_type_code.clone()),
        ("CertificateNumber", doc.certificate_number.clone()),
        ("CertificateHolder", doc.holder.clone()),
        ("CertificateHolderCode", doc.holder_code.clone()),
        ("CertificateHolderType", doc.holder_code_type.clone()),
        ("IssueDept", doc.issue_dept.clone()),
        ("IssueDeptCode", doc.issue_dept_code.clone()),
        ("IssueDate", doc.issue_date.format("%Y-%m-%d").to_string()),
        ("ValidFrom", doc.valid_from.format("%Y-%m-%d").to_string()),
        (
            "ValidTo",
            doc.valid_to
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        ),
        ("QrValue", doc.qr_value.clone()),
        ("Version", "1".into()),
    ];
    for (k, v) in fields {
        let _ = write!(s, "<{k}>{}</{k}>", escape(&v));
    }
    s.push_str("<Face>");
    for (k, v) in &doc.face {
        let _ = write!(s, r#"<Field Name="{}">{}</Field>"#, escape(k), escape(v));
    }
    s.push_str("</Face></LicenseMetadata>");
    s
}

/// Writes the unsigned package of a license: the face on one page and the metadata.
pub fn write_package(doc: &LicenseDocument) -> Result<Package, FileError> {
    let shapes = layout::face(doc)?;
    let mut content = format!(
        r#"{XML_DECL}<ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content><ofd:Layer ID="3" Type="Body">"#
    );
    let max_id = shapes_xml(&shapes, 4, &mut content);
    content.push_str("</ofd:Layer></ofd:Content></ofd:Page>");
    let document = format!(
        r#"{XML_DECL}<ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData><ofd:MaxUnitID>{max_id}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {} {}</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes><ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages><ofd:Annotations>Annots/Annotations.xml</ofd:Annotations><ofd:CustomTags>Tags/CustomTags.xml</ofd:CustomTags></ofd:Document>"#,
        num(PAGE_W),
        num(PAGE_H)
    );
    let mut p = Package::new();
    p.insert("OFD.xml", ofd_xml(doc, &[]).into_bytes());
    p.insert("Doc_0/Document.xml", document.into_bytes());
    p.insert(
        "Doc_0/PublicRes.xml",
        format!(
            r#"{XML_DECL}<ofd:Res xmlns:ofd="{OFD_NS}" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="{FONT_ID}" FontName="黑体" FamilyName="SimHei"/></ofd:Fonts></ofd:Res>"#
        )
        .into_bytes(),
    );
    p.insert(
        "Doc_0/DocumentRes.xml",
        format!(r#"{XML_DECL}<ofd:Res xmlns:ofd="{OFD_NS}" BaseLoc="Res"/>"#).into_bytes(),
    );
    p.insert("Doc_0/Pages/Page_0/Content.xml", content.into_bytes());
    p.insert(
        "Doc_0/Tags/CustomTags.xml",
        format!(
            r#"{XML_DECL}<ofd:CustomTags xmlns:ofd="{OFD_NS}"><ofd:CustomTag NameSpace="{METADATA_NS}"><ofd:FileLoc>Metadata.xml</ofd:FileLoc></ofd:CustomTag></ofd:CustomTags>"#
        )
        .into_bytes(),
    );
    p.insert(METADATA_PART, metadata_xml(doc).into_bytes());
    p.insert(
        ANNOTATIONS_PART,
        format!(r#"{XML_DECL}<ofd:Annotations xmlns:ofd="{OFD_NS}"/>"#).into_bytes(),
    );
    p.insert(
        SIGNATURES_PART,
        format!(r#"{XML_DECL}<ofd:Signatures xmlns:ofd="{OFD_NS}"><ofd:MaxSignId>0</ofd:MaxSignId></ofd:Signatures>"#)
            .into_bytes(),
    );
    Ok(p)
}

/// `OFD.xml` of an annotated copy: the original's document info plus the copy's facts.
pub(crate) fn copy_ofd_xml(doc: &LicenseDocument, facts: &CopyFacts) -> String {
    let values = [
        facts
            .made_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        facts.creator.clone(),
        facts.cause.clone(),
        facts.expires_on.format("%Y-%m-%d").to_string(),
        facts.system_name.clone(),
        facts.matter_name.clone(),
    ];
    let extra: Vec<(&str, String)> = COPY_KEYS.iter().copied().zip(values).collect();
    ofd_xml(doc, &extra)
}

fn date(s: &str) -> Result<NaiveDate, FileError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| FileError::NotOfd(format!("bad date {s:?} in metadata")))
}

/// Reads the metadata part of one of our packages back.
pub fn read_metadata(pkg: &Package) -> Result<LicenseDocument, FileError> {
    let bytes = pkg
        .get(METADATA_PART)
        .ok_or_else(|| FileError::NotOfd("no license metadata".into()))?;
    let root = xml::parse(METADATA_PART, bytes)?;
    if root.name != "LicenseMetadata" {
        return Err(FileError::NotOfd("not license metadata".into()));
    }
    let get = |n: &str| root.child(n).map(|e| e.text.clone()).unwrap_or_default();
    let face: BTreeMap<String, String> = root
        .child("Face")
        .map(|f| {
            f.children_named("Field")
                .map(|e| {
                    (
                        e.attr("Name").unwrap_or_default().to_owned(),
                        e.text.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let valid_to = get("ValidTo");
    Ok(LicenseDocument {
        identifier: get("CertIdentifier"),
        file_number: get("FileNumber"),
        certificate_name: get("CertificateName"),
        cert_type_code: get("CertTypeCode"),
        certificate_number: get("CertificateNumber"),
        holder: get("CertificateHolder"),
        holder_code: get("CertificateHolderCode"),
        holder_code_type: get("CertificateHolderType"),
        issue_dept: get("IssueDept"),
        issue_dept_code: get("IssueDeptCode"),
        issue_date: date(&get("IssueDate"))?,
        valid_from: date(&get("ValidFrom"))?,
        valid_to: if valid_to.is_empty() {
            None
        } else {
            Some(date(&valid_to)?)
        },
        face,
        qr_value: get("QrValue"),
    })
}

/// The `CustomData` pairs of `OFD.xml`'s first document body.
pub fn custom_datas(pkg: &Package) -> Result<Vec<(String, String)>, FileError> {
    let ofd = xml::parse("OFD.xml", pkg.get("OFD.xml").unwrap_or_default())?;
    Ok(ofd
        .path(&["DocBody", "DocInfo", "CustomDatas"])
        .map(|c| {
            c.children_named("CustomData")
                .map(|e| {
                    (
                        e.attr("Name").unwrap_or_default().to_owned(),
                        e.text.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default())
}

/// The facts of an annotated copy recorded in `OFD.xml`, if this package is one.
pub fn read_copy_facts(pkg: &Package) -> Result<Option<CopyFacts>, FileError> {
    let data = custom_datas(pkg)?;
    let get = |k: &str| data.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let Some(made) = get(COPY_KEYS[0]) else {
        return Ok(None);
    };
    let made_at = chrono::DateTime::parse_from_rfc3339(&made)
        .map_err(|_| FileError::NotOfd("bad copy time".into()))?
        .with_timezone(&chrono::Utc);
    Ok(Some(CopyFacts {
        made_at,
        creator: get(COPY_KEYS[1]).unwrap_or_default(),
        cause: get(COPY_KEYS[2]).unwrap_or_default(),
        expires_on: date(&get(COPY_KEYS[3]).unwrap_or_default())?,
        system_name: get(COPY_KEYS[4]).unwrap_or_default(),
        matter_name: get(COPY_KEYS[5]).unwrap_or_default(),
    }))
}

/// The document root element of the first doc body.
pub(crate) fn document_root(pkg: &Package) -> Result<(String, Element), FileError> {
    let ofd = xml::parse("OFD.xml", pkg.get("OFD.xml").unwrap_or_default())?;
    let root = ofd
        .path(&["DocBody", "DocRoot"])
        .map(|e| e.text.clone())
        .ok_or_else(|| FileError::NotOfd("no DocRoot".into()))?;
    let path = package::resolve("OFD.xml", &root)?;
    let bytes = pkg
        .get(&path)
        .ok_or_else(|| FileError::NotOfd(format!("missing {path}")))?;
    Ok((path.clone(), xml::parse(&path, bytes)?))
}

#[cfg(test)]
mod num_tests {
    use super::{num, num_formatted};

    #[test]
    fn agrees_with_formatting_to_three_decimals() {
        // Ties (x.xxx5 exactly), negatives, tiny and large values, and a sweep of the page's
        // coordinates in steps finer than the precision.
        let mut values = vec![
            0.0,
            -0.0,
            0.0005,
            -0.0005,
            1.0625,
            -1.0625,
            2.5e-4,
            0.125,
            210.0,
            297.0,
            1e-9,
            -1e-9,
            123_456.79,
            8_388_607.5,
            1e20,
            -3.4e38,
            f32::MAX,
        ];
        let mut v = -50.0f32;
        while v < 350.0 {
            values.push(v);
            v += 0.000_37;
        }
        let mut bits = 0x3a00_0000u32; // and every 4099th float from about 5e-4 up
        while bits < 0x4b00_0000 {
            values.push(f32::from_bits(bits));
            values.push(-f32::from_bits(bits));
            bits += 4099;
        }
        for v in values {
            assert_eq!(num(v), num_formatted(v), "{v:e}");
        }
    }
}
