//! A small element tree over quick-xml with hard limits, for the XML parts of OFD packages
//! (GB/T 33190). Namespace prefixes are dropped: OFD producers vary them (`ofd:`, none).

use quick_xml::XmlVersion;
use quick_xml::events::Event;

use crate::error::FileError;

/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 64;
/// Most elements accepted in one part.
pub const MAX_ELEMENTS: usize = 200_000;

/// An element: local name, attributes (local names), text and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name.
    pub name: String,
    /// Attributes in document order.
    pub attrs: Vec<(String, String)>,
    /// Concatenated text content directly inside this element, trimmed.
    pub text: String,
    /// Child elements.
    pub children: Vec<Element>,
}

impl Element {
    /// An attribute's value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a path of local names from this element.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |e, n| e.child(n))
    }
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_owned(),
        None => name.to_owned(),
    }
}

/// Parses an XML part into its root element.
pub fn parse(part: &str, bytes: &[u8]) -> Result<Element, FileError> {
    let err = |reason: String| FileError::Xml {
        part: part.to_owned(),
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| err("not UTF-8".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| err(format!("at byte {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(err("too many elements".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(err("elements nested too deeply".into()));
                }
                if root.is_some() {
                    return Err(err("content after the root element".into()));
                }
                let mut el = Element {
                    name: local(e.name().as_ref()),
                    ..Element::default()
                };
                for a in e.attributes() {
                    let a = a.map_err(|e| err(format!("attribute: {e}")))?;
                    let v = a
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|e| err(format!("attribute value: {e}")))?;
                    el.attrs.push((local(a.key.as_ref()), v.into_owned()));
                }
                if matches!(event, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(el),
                        None => root = Some(el),
                    }
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let mut el = stack
                    .pop()
                    .ok_or_else(|| err("unbalanced end tag".into()))?;
                el.text = el.text.trim().to_owned();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let Some(el) = stack.last_mut() else { continue };
                match r.resolve_char_ref() {
                    Ok(Some(c)) => el.text.push(c),
                    _ => {
                        let c = match r.as_ref() {
                            "lt" => '<',
                            "gt" => '>',
                            "amp" => '&',
                            "quot" => '"',
                            "apos" => '\'',
                            other => return Err(err(format!("unknown entity &{other};"))),
                        };
                        el.text.push(c);
                    }
                }
            }
            Event::DocType(_) => return Err(err("DOCTYPE is not allowed".into())),
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(err("unclosed elements".into()));
    }
    root.ok_or_else(|| err("no root element".into()))
}

/// Escapes text for element content and attribute values.
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ofd_like_parts() {
        let x = br#"<?xml version="1.0" encoding="UTF-8"?>
<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" DocType="OFD"><ofd:DocBody><ofd:DocRoot> Doc_0/Document.xml </ofd:DocRoot>
<ofd:CustomDatas><ofd:CustomData Name="a&amp;b">x &lt; y &#x8BC1;</ofd:CustomData></ofd:CustomDatas></ofd:DocBody></ofd:OFD>"#;
        let root = parse("OFD.xml", x).unwrap();
        assert_eq!(root.name, "OFD");
        assert_eq!(root.attr("DocType"), Some("OFD"));
        assert_eq!(
            root.path(&["DocBody", "DocRoot"]).unwrap().text,
            "Doc_0/Document.xml"
        );
        let cd = root
            .path(&["DocBody", "CustomDatas", "CustomData"])
            .unwrap();
        assert_eq!(cd.attr("Name"), Some("a&b"));
        assert_eq!(cd.text, "x < y 证");
    }

    #[test]
    fn refuses_bad_xml() {
        assert!(parse("a", b"<a><b></a>").is_err());
        assert!(parse("a", b"<a>").is_err());
        assert!(parse("a", b"").is_err());
        assert!(parse("a", b"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>").is_err());
        assert!(parse("a", &[0xFF, 0xFE]).is_err());
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(parse("a", deep.as_bytes()).is_err());
        assert!(parse("a", b"<a/><b/>").is_err());
    }
}
