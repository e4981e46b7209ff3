//! Raster renderings of the face: JPEG page images (for `ShareDownloadFile`, `fileType=png`)
//! and the PNG seal picture inside our seals. Text uses the bundled CJK font, so rendering does
//! not depend on what a machine has installed.

use std::sync::LazyLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{ImageEncoder, Rgb as Px, RgbImage, Rgba, RgbaImage};
use imageproc::drawing::{
    draw_filled_rect_mut, draw_hollow_circle_mut, draw_line_segment_mut, draw_polygon_mut,
    draw_text_mut,
};
use imageproc::point::Point;
use imageproc::rect::Rect;

use crate::error::FileError;
use crate::layout::{self, PAGE_H, PAGE_W, Rgb, Shape};

/// WenQuanYi Micro Hei (Apache-2.0; `assets/fonts/wqy-microhei.COPYRIGHT`).
pub static FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/wqy-microhei.ttc");

/// The bundled CJK font, parsed once.
pub static FONT: LazyLock<FontRef<'static>> = LazyLock::new(|| {
    FontRef::try_from_slice_and_index(FONT_BYTES, 0).expect("the bundled font parses")
});

/// Resolution of page images, dots per inch.
pub const PAGE_DPI: f32 = 110.0;

fn px(c: Rgb) -> Px<u8> {
    Px([c.0, c.1, c.2])
}

/// Draws shapes on an image where one millimetre is `scale` pixels.
fn draw<I>(img: &mut I, shapes: &[Shape], scale: f32, paint: impl Fn(Rgb) -> I::Pixel)
where
    I: image::GenericImage,
    I::Pixel: image::Pixel<Subpixel = u8> + 'static,
{
    let font = &*FONT;
    for shape in shapes {
        match shape {
            Shape::Text {
                x,
                y,
                size,
                color,
                text,
            } => {
                let px_scale = PxScale::from(size * scale);
                let ascent = font.as_scaled(px_scale).ascent();
                let top = y * scale - ascent;
                draw_text_mut(
                    img,
                    paint(*color),
                    (x * scale) as i32,
                    top as i32,
                    px_scale,
                    font,
                    text,
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
                let t = (line * scale).max(1.0);
                let (x0, y0, x1, y1) = (x * scale, y * scale, (x + w) * scale, (y + h) * scale);
                for (a, b) in [
                    ((x0, y0), (x1, y0)),
                    ((x1, y0), (x1, y1)),
                    ((x1, y1), (x0, y1)),
                    ((x0, y1), (x0, y0)),
                ] {
                    thick_line(img, a, b, t, paint(*color));
                }
            }
            Shape::Circle {
                cx,
                cy,
                r,
                line,
                color,
            } => {
                let t = (line * scale).max(1.0).round() as i32;
                let c = ((cx * scale) as i32, (cy * scale) as i32);
                let r0 = (r * scale) as i32;
                for k in 0..t {
                    draw_hollow_circle_mut(img, c, r0 - t / 2 + k, paint(*color));
                }
            }
            Shape::Polygon { points, color } => {
                let pts: Vec<Point<i32>> = points
                    .iter()
                    .map(|(x, y)| Point::new((x * scale) as i32, (y * scale) as i32))
                    .collect();
                if pts.len() >= 3 && pts.first() != pts.last() {
                    draw_polygon_mut(img, &pts, paint(*color));
                }
            }
            Shape::Squares { size, at, color } => {
                for (x, y) in at {
                    let x0 = (x * scale).round() as i32;
                    let y0 = (y * scale).round() as i32;
                    let x1 = ((x + size) * scale).round() as i32;
                    let y1 = ((y + size) * scale).round() as i32;
                    let rect =
                        Rect::at(x0, y0).of_size((x1 - x0).max(1) as u32, (y1 - y0).max(1) as u32);
                    draw_filled_rect_mut(img, rect, paint(*color));
                }
            }
        }
    }
}

fn thick_line<I: image::GenericImage>(
    img: &mut I,
    a: (f32, f32),
    b: (f32, f32),
    t: f32,
    p: I::Pixel,
) where
    I::Pixel: 'static,
{
    let n = t.round().max(1.0) as i32;
    let horizontal = (a.1 - b.1).abs() < (a.0 - b.0).abs();
    for k in 0..n {
        let off = k as f32 - (n - 1) as f32 / 2.0;
        let (da, db) = if horizontal {
            ((a.0, a.1 + off), (b.0, b.1 + off))
        } else {
            ((a.0 + off, a.1), (b.0 + off, b.1))
        };
        draw_line_segment_mut(img, da, db, p);
    }
}

/// Renders a page of shapes to an RGB image at `dpi`.
pub fn render_page(shapes: &[Shape], dpi: f32) -> RgbImage {
    let scale = dpi / 25.4;
    let mut img = RgbImage::from_pixel(
        (PAGE_W * scale) as u32,
        (PAGE_H * scale) as u32,
        Px([255, 255, 255]),
    );
    draw(&mut img, shapes, scale, px);
    img
}

/// Encodes an image as baseline JPEG.
pub fn jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, FileError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| FileError::Render(format!("JPEG: {e}")))?;
    Ok(out)
}

/// The seal picture of the platform's seal (GB/T 38540 `SES_ESPictrueInfo`): a red ring, a
/// star and the seal's name on a transparent background, as PNG.
pub fn seal_png(name: &str) -> Result<Vec<u8>, FileError> {
    let size_mm = 42.0;
    let scale = 6.0;
    let side = (size_mm * scale) as u32;
    let mut img = RgbaImage::from_pixel(side, side, Rgba([255, 255, 255, 0]));
    let c = size_mm / 2.0;
    let mut shapes = vec![Shape::Circle {
        cx: c,
        cy: c,
        r: c - 1.0,
        line: 1.4,
        color: layout::SEAL_RED,
    }];
    let star: Vec<(f32, f32)> = (0..10)
        .map(|i| {
            let rad = if i % 2 == 0 { 7.0 } else { 7.0 * 0.382 };
            let a = -std::f32::consts::FRAC_PI_2 + i as f32 * std::f32::consts::PI / 5.0;
            (c + rad * a.cos(), c - 2.0 + rad * a.sin())
        })
        .collect();
    shapes.push(Shape::Polygon {
        points: star,
        color: layout::SEAL_RED,
    });
    let text_size = (30.0 / layout::text_width(name, 1.0)).clamp(2.4, 4.2);
    for (i, line) in layout::wrap(name, text_size, 32.0)
        .iter()
        .take(2)
        .enumerate()
    {
        let w = layout::text_width(line, text_size);
        shapes.push(Shape::Text {
            x: c - w / 2.0,
            y: c + 10.0 + i as f32 * text_size * 1.2,
            size: text_size,
            color: layout::SEAL_RED,
            text: line.clone(),
        });
    }
    draw(&mut img, &shapes, scale, |c| Rgba([c.0, c.1, c.2, 255]));
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), side, side, image::ExtendedColorType::Rgba8)
        .map_err(|e| FileError::Render(format!("PNG: {e}")))?;
    Ok(out)
}
