//! The face (照面) of a license as drawing primitives in millimetres, origin top-left, y down.
//! One layout feeds all three renderings — OFD, PDF and JPEG — so they always agree.

use qrcode::{EcLevel, QrCode};

use crate::error::FileError;
use crate::model::{CopyFacts, LicenseDocument, chinese_date};

/// Page width (A4 portrait), mm.
pub const PAGE_W: f32 = 210.0;
/// Page height, mm.
pub const PAGE_H: f32 = 297.0;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// Ink of text and rules.
pub const INK: Rgb = Rgb(0x1A, 0x1A, 0x1A);
/// Labels.
pub const MUTED: Rgb = Rgb(0x55, 0x55, 0x55);
/// Border and seal red.
pub const SEAL_RED: Rgb = Rgb(0xD0, 0x1F, 0x1F);
/// Annotation (加注) text.
pub const NOTE: Rgb = Rgb(0x1F, 0x4E, 0xA8);

/// One drawing primitive.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Text on one line, `x` its left edge, `y` its baseline, `size` the em size.
    Text {
        /// Left edge.
        x: f32,
        /// Baseline.
        y: f32,
        /// Em size.
        size: f32,
        /// Colour.
        color: Rgb,
        /// The text.
        text: String,
    },
    /// A stroked rectangle.
    Rect {
        /// Left.
        x: f32,
        /// Top.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
        /// Stroke width.
        line: f32,
        /// Colour.
        color: Rgb,
    },
    /// A stroked circle.
    Circle {
        /// Centre x.
        cx: f32,
        /// Centre y.
        cy: f32,
        /// Radius.
        r: f32,
        /// Stroke width.
        line: f32,
        /// Colour.
        color: Rgb,
    },
    /// A filled polygon.
    Polygon {
        /// Corners.
        points: Vec<(f32, f32)>,
        /// Colour.
        color: Rgb,
    },
    /// Filled squares of one size (QR modules), top-left corners.
    Squares {
        /// Side length.
        size: f32,
        /// Top-left corners.
        at: Vec<(f32, f32)>,
        /// Colour.
        color: Rgb,
    },
}

/// Estimated advance of a character in ems: wide (CJK, full-width) 1.0, others 0.55.
pub fn char_advance(c: char) -> f32 {
    if (c as u32) < 0x2E80 { 0.55 } else { 1.0 }
}

/// Estimated width of text at an em size.
pub fn text_width(text: &str, size: f32) -> f32 {
    text.chars().map(char_advance).sum::<f32>() * size
}

/// Splits text into lines no wider than `max` at an em size.
pub fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut width = 0.0;
    for c in text.chars() {
        let w = char_advance(c) * size;
        if width + w > max && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            width = 0.0;
        }
        line.push(c);
        width += w;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn text(x: f32, y: f32, size: f32, color: Rgb, s: impl Into<String>) -> Shape {
    Shape::Text {
        x,
        y,
        size,
        color,
        text: s.into(),
    }
}

fn centered(cx: f32, y: f32, size: f32, color: Rgb, s: &str) -> Shape {
    text(cx - text_width(s, size) / 2.0, y, size, color, s)
}

/// A five-pointed star centred at (cx, cy) with outer radius r.
fn star(cx: f32, cy: f32, r: f32) -> Vec<(f32, f32)> {
    let inner = r * 0.382;
    (0..10)
        .map(|i| {
            let rad = if i % 2 == 0 { r } else { inner };
            let a = -std::f32::consts::FRAC_PI_2 + i as f32 * std::f32::consts::PI / 5.0;
            (cx + rad * a.cos(), cy + rad * a.sin())
        })
        .collect()
}

/// The QR code of `value` as squares in a box of `side` mm at (x, y).
pub fn qr_squares(value: &str, x: f32, y: f32, side: f32) -> Result<Shape, FileError> {
    let code = QrCode::with_error_correction_level(value.as_bytes(), EcLevel::M)
        .map_err(|e| FileError::Render(format!("QR code: {e}")))?;
    let n = code.width();
    let quiet = 2;
    let module = side / (n + 2 * quiet) as f32;
    let colors = code.to_colors();
    let at = colors
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == qrcode::Color::Dark)
        .map(|(i, _)| {
            let (col, row) = (i % n, i / n);
            (
                x + (col + quiet) as f32 * module,
                y + (row + quiet) as f32 * module,
            )
        })
        .collect();
    Ok(Shape::Squares {
        size: module,
        at,
        color: Rgb(0, 0, 0),
    })
}

/// Label text of a face field: the key itself (keys are the type's field names).
fn field_rows(doc: &LicenseDocument) -> Vec<(String, String)> {
    let mut rows = vec![
        ("持证主体".to_owned(), doc.holder.clone()),
        ("持证主体代码".to_owned(), doc.holder_code.clone()),
        ("证照编号".to_owned(), doc.certificate_number.clone()),
        ("颁发机构".to_owned(), doc.issue_dept.clone()),
        ("颁发日期".to_owned(), chinese_date(doc.issue_date)),
        ("有效期限".to_owned(), doc.validity_text()),
    ];
    rows.extend(doc.face.iter().map(|(k, v)| (k.clone(), v.clone())));
    rows
}

/// The face of a license: border, title, fields, QR code, seal mark and identifier.
pub fn face(doc: &LicenseDocument) -> Result<Vec<Shape>, FileError> {
    let mut s = Vec::with_capacity(64);
    s.push(Shape::Rect {
        x: 10.0,
        y: 10.0,
        w: PAGE_W - 20.0,
        h: PAGE_H - 20.0,
        line: 0.8,
        color: SEAL_RED,
    });
    s.push(Shape::Rect {
        x: 12.5,
        y: 12.5,
        w: PAGE_W - 25.0,
        h: PAGE_H - 25.0,
        line: 0.3,
        color: SEAL_RED,
    });
    let title_size = if text_width(&doc.certificate_name, 9.0) > PAGE_W - 40.0 {
        ((PAGE_W - 40.0) / text_width(&doc.certificate_name, 1.0)).max(4.0)
    } else {
        9.0
    };
    for (i, line) in wrap(&doc.certificate_name, title_size, PAGE_W - 40.0)
        .iter()
        .enumerate()
    {
        s.push(centered(
            PAGE_W / 2.0,
            38.0 + i as f32 * title_size * 1.3,
            title_size,
            INK,
            line,
        ));
    }
    let label_x = 26.0;
    let value_x = 66.0;
    let value_w = PAGE_W - value_x - 24.0;
    let size = 4.6;
    let mut y = 70.0;
    for (label, value) in field_rows(doc) {
        if y > 200.0 {
            break;
        }
        s.push(text(label_x, y, size, MUTED, format!("{label}：")));
        for line in wrap(&value, size, value_w) {
            s.push(text(value_x, y, size, INK, line));
            y += size * 1.6;
        }
        y += size * 0.6;
    }
    // QR code and its caption.
    s.push(qr_squares(&doc.qr_value, 24.0, 212.0, 42.0)?);
    s.push(centered(45.0, 259.0, 3.2, MUTED, "扫码核验"));
    // The issuer's seal mark.
    let (cx, cy, r) = (150.0, 232.0, 21.0);
    s.push(Shape::Circle {
        cx,
        cy,
        r,
        line: 1.2,
        color: SEAL_RED,
    });
    s.push(Shape::Polygon {
        points: star(cx, cy - 2.0, 6.5),
        color: SEAL_RED,
    });
    let mut seal_size = 3.6;
    while wrap(&doc.issue_dept, seal_size, 30.0).len() > 2 && seal_size > 2.2 {
        seal_size -= 0.2;
    }
    for (i, line) in wrap(&doc.issue_dept, seal_size, 30.0)
        .iter()
        .take(2)
        .enumerate()
    {
        s.push(centered(
            cx,
            cy + 9.5 + i as f32 * seal_size * 1.2,
            seal_size,
            SEAL_RED,
            line,
        ));
    }
    s.push(centered(
        cx,
        cy + r + 7.0,
        3.6,
        INK,
        &chinese_date(doc.issue_date),
    ));
    s.push(centered(
        PAGE_W / 2.0,
        PAGE_H - 18.0,
        2.6,
        MUTED,
        &format!("电子证照标识：{}", doc.identifier),
    ));
    Ok(s)
}

/// The annotation layer of a copy: what it is for, until when, and when it was made.
pub fn annotation(facts: &CopyFacts) -> Vec<Shape> {
    let size = 3.4;
    let lines = [
        format!(
            "本件为电子证照加注件，仅供“{}”办理“{}”使用。",
            facts.system_name, facts.matter_name
        ),
        format!("用途：{}", facts.cause),
        format!(
            "有效期至：{}　加注时间：{}",
            chinese_date(facts.expires_on),
            facts.made_at.format("%Y-%m-%d %H:%M:%S UTC")
        ),
    ];
    let mut out = Vec::new();
    let mut y = 268.0;
    for l in lines {
        for part in wrap(&l, size, PAGE_W - 40.0) {
            out.push(text(20.0, y, size, NOTE, part));
            y += size * 1.35;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_respects_width() {
        let lines = wrap("中华人民共和国居民身份证ABC", 5.0, 30.0);
        assert!(lines.iter().all(|l| text_width(l, 5.0) <= 30.0));
        assert_eq!(lines.concat(), "中华人民共和国居民身份证ABC");
        assert_eq!(wrap("", 5.0, 30.0), [""]);
    }

    #[test]
    fn qr_code_has_modules_inside_its_box() {
        let Shape::Squares { size, at, .. } =
            qr_squares("https://example.test/v/abc", 10.0, 20.0, 40.0).unwrap()
        else {
            panic!("not squares")
        };
        assert!(!at.is_empty());
        assert!(
            at.iter()
                .all(|&(x, y)| x >= 10.0 && y >= 20.0 && x + size <= 50.01 && y + size <= 60.01)
        );
    }
}
