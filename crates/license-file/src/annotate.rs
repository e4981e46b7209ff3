//! Annotated copies (加注件, API.md §7): the original parts unchanged (so the issuer's
//! signature still verifies), an annotation layer on every page stating the copy's use, its
//! facts recorded in `OFD.xml`, and the platform's signature over the annotation parts.

use std::fmt::Write as _;

use crate::error::FileError;
use crate::layout;
use crate::model::{CopyFacts, LicenseDocument};
use crate::ofd::{self, ANNOTATIONS_PART, OFD_NS};
use crate::package::{self, Package};
use crate::sign::SealSigner;
use crate::xml;

/// The page IDs and content parts of the document, in order.
fn pages(pkg: &Package) -> Result<Vec<(String, String)>, FileError> {
    let (doc_path, doc) = ofd::document_root(pkg)?;
    let mut out = Vec::new();
    if let Some(pages) = doc.child("Pages") {
        for p in pages.children_named("Page") {
            let id = p.attr("ID").unwrap_or_default().to_owned();
            let loc = package::resolve(&doc_path, p.attr("BaseLoc").unwrap_or_default())?;
            out.push((id, loc));
        }
    }
    Ok(out)
}

/// Makes an annotated copy of one of our signed license files.
pub fn annotate(
    original: &Package,
    doc: &LicenseDocument,
    facts: &CopyFacts,
    signer: &SealSigner,
) -> Result<Package, FileError> {
    let (doc_path, document) = ofd::document_root(original)?;
    let annots_ref = document
        .child("Annotations")
        .map(|a| a.text.clone())
        .ok_or_else(|| FileError::NotOfd("the document has no annotation layer".into()))?;
    let annots_path = package::resolve(&doc_path, &annots_ref)?;
    if annots_path != ANNOTATIONS_PART {
        return Err(FileError::NotOfd(
            "unexpected annotation list location".into(),
        ));
    }
    let mut pkg = original.clone();
    let shapes = layout::annotation(facts);
    let annots_dir = annots_path
        .rsplit_once('/')
        .map_or("", |(d, _)| d)
        .to_owned();
    let mut list =
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Annotations xmlns:ofd="{OFD_NS}">"#);
    let mut added = vec!["OFD.xml".to_owned(), annots_path.clone()];
    let made = facts.made_at.format("%Y-%m-%dT%H:%M:%S").to_string();
    for (i, (page_id, _)) in pages(original)?.iter().enumerate() {
        let mut body = String::new();
        ofd::shapes_xml(&shapes, 1, &mut body);
        let annot = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><ofd:PageAnnot xmlns:ofd="{OFD_NS}"><ofd:Annot ID="1" Type="Watermark" Creator="{}" LastModDate="{made}" ReadOnly="true" NoView="false" Print="true"><ofd:Remark>{}</ofd:Remark><ofd:Appearance Boundary="0 0 {} {}">{body}</ofd:Appearance></ofd:Annot></ofd:PageAnnot>"#,
            xml::escape(&facts.creator),
            xml::escape(&facts.cause),
            layout::PAGE_W,
            layout::PAGE_H
        );
        let part = format!("{annots_dir}/Page_{i}/Annotation.xml");
        let _ = write!(
            list,
            r#"<ofd:Page PageID="{page_id}"><ofd:FileLoc>Page_{i}/Annotation.xml</ofd:FileLoc></ofd:Page>"#
        );
        pkg.insert(part.clone(), annot.into_bytes());
        added.push(part);
    }
    list.push_str("</ofd:Annotations>");
    pkg.insert(annots_path, list.into_bytes());
    pkg.insert("OFD.xml", ofd::copy_ofd_xml(doc, facts).into_bytes());
    signer.sign(&mut pkg, &added, facts.made_at, None)?;
    Ok(pkg)
}
