//! The face as PDF (for `downloadPdfFile`), drawn from the same layout as the OFD, with the
//! bundled CJK font embedded as a subset (krilla subsets what a document uses).

use std::sync::LazyLock;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::text::{Font, TextDirection};
use krilla::{Data, Document};

use crate::error::FileError;
use crate::layout::{PAGE_H, PAGE_W, Rgb, Shape};
use crate::raster::FONT_BYTES;

/// Points per millimetre.
const PT: f32 = 72.0 / 25.4;

static PDF_FONT: LazyLock<Option<Font>> = LazyLock::new(|| Font::new(Data::from(FONT_BYTES), 0));

fn paint(c: Rgb) -> krilla::paint::Paint {
    rgb::Color::new(c.0, c.1, c.2).into()
}

fn fill(c: Rgb) -> Fill {
    Fill {
        paint: paint(c),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

/// Renders pages of shapes as one PDF.
pub fn render(pages: &[Vec<Shape>]) -> Result<Vec<u8>, FileError> {
    let font = PDF_FONT
        .clone()
        .ok_or_else(|| FileError::Render("the bundled font does not load".into()))?;
    let mut document = Document::new();
    for shapes in pages {
        let settings = PageSettings::from_wh(PAGE_W * PT, PAGE_H * PT)
            .ok_or_else(|| FileError::Render("bad page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for shape in shapes {
            match shape {
                Shape::Text {
                    x,
                    y,
                    size,
                    color,
                    text,
                } => {
                    surface.set_stroke(None);
                    surface.set_fill(Some(fill(*color)));
                    surface.draw_text(
                        Point::from_xy(x * PT, y * PT),
                        font.clone(),
                        size * PT,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Shape::Rect {
                    x,
                    y,
                    w,
                    h,
                    line,
                    color,
                } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(x * PT, y * PT);
                    pb.line_to((x + w) * PT, y * PT);
                    pb.line_to((x + w) * PT, (y + h) * PT);
                    pb.line_to(x * PT, (y + h) * PT);
                    pb.close();
                    stroke_path(&mut surface, pb, *line, *color);
                }
                Shape::Circle {
                    cx,
                    cy,
                    r,
                    line,
                    color,
                } => {
                    // Four cubic Béziers (k = 0.5523) approximate the circle.
                    let (cx, cy, r) = (cx * PT, cy * PT, r * PT);
                    let k = 0.552_284_8 * r;
                    let mut pb = PathBuilder::new();
                    pb.move_to(cx + r, cy);
                    pb.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
                    pb.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
                    pb.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
                    pb.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
                    pb.close();
                    stroke_path(&mut surface, pb, *line, *color);
                }
                Shape::Polygon { points, color } => {
                    let mut pb = PathBuilder::new();
                    for (i, (px, py)) in points.iter().enumerate() {
                        if i == 0 {
                            pb.move_to(px * PT, py * PT);
                        } else {
                            pb.line_to(px * PT, py * PT);
                        }
                    }
                    pb.close();
                    fill_path(&mut surface, pb, *color);
                }
                Shape::Squares { size, at, color } => {
                    let mut pb = PathBuilder::new();
                    let s = size * PT;
                    for (x, y) in at {
                        let (x, y) = (x * PT, y * PT);
                        pb.move_to(x, y);
                        pb.line_to(x + s, y);
                        pb.line_to(x + s, y + s);
                        pb.line_to(x, y + s);
                        pb.close();
                    }
                    fill_path(&mut surface, pb, *color);
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| FileError::Render(format!("PDF: {e:?}")))
}

fn stroke_path(surface: &mut krilla::surface::Surface<'_>, pb: PathBuilder, line: f32, c: Rgb) {
    if let Some(path) = pb.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            paint: paint(c),
            width: line * PT,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
    }
}

fn fill_path(surface: &mut krilla::surface::Surface<'_>, pb: PathBuilder, c: Rgb) {
    if let Some(path) = pb.finish() {
        surface.set_stroke(None);
        surface.set_fill(Some(fill(c)));
        surface.draw_path(&path);
    }
}
