//! What a photo is, read from its bytes alone: format (sniffed, never trusted from the client),
//! dimensions (from the header, before any decoding), EXIF, SHA-256, and a 320 px thumbnail.
//! CPU-heavy: call off the actix workers.

use std::io::Cursor;

use chrono::NaiveDateTime;
use image::{DynamicImage, ImageFormat, ImageReader, RgbImage};
use sha2::{Digest, Sha256};

/// The longest side of a thumbnail.
pub const THUMBNAIL_SIDE: u32 = 320;

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum InspectError {
    #[error("{0}")]
    Unsupported(String),
    #[error("the image is {width}×{height} = {pixels} pixels, more than the {budget} allowed")]
    TooManyPixels {
        width: u32,
        height: u32,
        pixels: u64,
        budget: u64,
    },
    #[error("the image cannot be read: {0}")]
    Corrupt(String),
}

/// EXIF facts a re-check cares about.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExifFacts {
    /// DateTimeOriginal, in the camera's local time (EXIF has no zone).
    pub captured_at: Option<NaiveDateTime>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub orientation: Option<u32>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
}

#[derive(Debug)]
pub struct Inspected {
    pub sha256: String,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub exif: ExifFacts,
    /// JPEG, orientation applied.
    pub thumbnail: Vec<u8>,
}

/// The accepted format of `bytes`, or why not.
pub fn sniff(bytes: &[u8]) -> Result<(ImageFormat, &'static str), InspectError> {
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        if [
            b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
        ]
        .iter()
        .any(|b| brand == *b)
        {
            return Err(InspectError::Unsupported(
                "HEIC/HEIF photos are not accepted; send JPEG (iPhone: Settings > Camera > Formats > Most Compatible)".into(),
            ));
        }
    }
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok((ImageFormat::Jpeg, "image/jpeg")),
        Ok(ImageFormat::Png) => Ok((ImageFormat::Png, "image/png")),
        Ok(ImageFormat::WebP) => Ok((ImageFormat::WebP, "image/webp")),
        Ok(other) => Err(InspectError::Unsupported(format!(
            "{other:?} images are not accepted; send JPEG, PNG or WebP"
        ))),
        Err(_) => Err(InspectError::Unsupported(
            "this is not a JPEG, PNG or WebP image".into(),
        )),
    }
}

/// Everything about a photo, refusing unsupported formats and images over `pixel_budget`
/// before decoding them.
pub fn inspect(bytes: &[u8], pixel_budget: u64) -> Result<Inspected, InspectError> {
    let (format, content_type) = sniff(bytes)?;
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| InspectError::Corrupt(e.to_string()))?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > pixel_budget {
        return Err(InspectError::TooManyPixels {
            width,
            height,
            pixels,
            budget: pixel_budget,
        });
    }
    let exif = read_exif(bytes);
    let small = match format {
        ImageFormat::Jpeg => decode_jpeg_scaled(bytes)?,
        _ => image::load_from_memory_with_format(bytes, format)
            .map_err(|e| InspectError::Corrupt(e.to_string()))?,
    };
    let thumbnail = encode_thumbnail(orient(fit(small), exif.orientation.unwrap_or(1)))?;
    Ok(Inspected {
        sha256: hex::encode(Sha256::digest(bytes)),
        content_type,
        width,
        height,
        exif,
        thumbnail,
    })
}

/// Decodes a JPEG at the smallest DCT scale (1/8 … 1) still at least `THUMBNAIL_SIDE` on each
/// side (`jpeg`): a 12 MP photo decodes to ~0.2 MP without ever holding the full-size pixels.
fn decode_jpeg_scaled(bytes: &[u8]) -> Result<DynamicImage, InspectError> {
    let scaled = super::jpeg::decode_scaled(bytes, THUMBNAIL_SIDE)?;
    RgbImage::from_raw(scaled.width, scaled.height, scaled.rgb)
        .map(DynamicImage::ImageRgb8)
        .ok_or_else(|| InspectError::Corrupt("decoded size does not match".into()))
}

/// Scales so the longest side is at most `THUMBNAIL_SIDE`.
fn fit(image: DynamicImage) -> DynamicImage {
    let (w, h) = (image.width(), image.height());
    let longest = w.max(h);
    if longest <= THUMBNAIL_SIDE {
        return image;
    }
    let (tw, th) = if w >= h {
        (THUMBNAIL_SIDE, (h * THUMBNAIL_SIDE / w).max(1))
    } else {
        ((w * THUMBNAIL_SIDE / h).max(1), THUMBNAIL_SIDE)
    };
    DynamicImage::ImageRgb8(image::imageops::thumbnail(&image.to_rgb8(), tw, th))
}

/// Applies an EXIF orientation (1-8) so the thumbnail shows the scene upright.
pub fn orient(image: DynamicImage, orientation: u32) -> DynamicImage {
    match orientation {
        2 => image.fliph(),
        3 => image.rotate180(),
        4 => image.flipv(),
        5 => image.rotate90().fliph(),
        6 => image.rotate90(),
        7 => image.rotate270().fliph(),
        8 => image.rotate270(),
        _ => image,
    }
}

fn encode_thumbnail(image: DynamicImage) -> Result<Vec<u8>, InspectError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&image.to_rgb8())
        .map_err(|e| InspectError::Corrupt(e.to_string()))?;
    Ok(out)
}

/// Reads what EXIF there is. Phones write EXIF that is slightly off the standard: keep going
/// on errors and take what could be read, or the orientation is lost.
pub fn read_exif(bytes: &[u8]) -> ExifFacts {
    use exif::{In, Tag, Value};
    let exif = match exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut Cursor::new(bytes))
        .or_else(|e| e.distill_partial_result(|_| {}))
    {
        Ok(exif) => exif,
        Err(_) => return ExifFacts::default(),
    };
    let field = |tag| exif.get_field(tag, In::PRIMARY);
    let text = |tag| match field(tag).map(|f| &f.value) {
        Some(Value::Ascii(parts)) => parts
            .first()
            .map(|p| {
                // EXIF text is a C string: it ends at the first NUL. Whatever a camera (or a
                // forger) put in it is stored as plain text: no controls, at most 100 chars.
                let p = p.split(|b| *b == 0).next().unwrap_or_default();
                let plain: String = String::from_utf8_lossy(p)
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(100)
                    .collect();
                plain.trim().to_owned()
            })
            .filter(|s| !s.is_empty()),
        _ => None,
    };
    let coordinate = |value_tag, ref_tag, negative: &str| -> Option<f64> {
        let Value::Rational(parts) = &field(value_tag)?.value else {
            return None;
        };
        if parts.len() < 3 || parts.iter().any(|r| r.denom == 0) {
            return None;
        }
        let degrees = parts[0].to_f64() + parts[1].to_f64() / 60.0 + parts[2].to_f64() / 3600.0;
        let sign = if text(ref_tag).as_deref() == Some(negative) {
            -1.0
        } else {
            1.0
        };
        Some(sign * degrees)
    };
    let captured_at = match field(Tag::DateTimeOriginal).map(|f| &f.value) {
        Some(Value::Ascii(parts)) => parts
            .first()
            .and_then(|p| exif::DateTime::from_ascii(p).ok())
            .and_then(|d| {
                chrono::NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())?
                    .and_hms_opt(d.hour.into(), d.minute.into(), d.second.into())
            }),
        _ => None,
    };
    ExifFacts {
        captured_at,
        latitude: coordinate(Tag::GPSLatitude, Tag::GPSLatitudeRef, "S")
            .filter(|v| (-90.0..=90.0).contains(v)),
        longitude: coordinate(Tag::GPSLongitude, Tag::GPSLongitudeRef, "W")
            .filter(|v| (-180.0..=180.0).contains(v)),
        orientation: field(Tag::Orientation)
            .and_then(|f| f.value.get_uint(0))
            .filter(|o| (1..=8).contains(o)),
        camera_make: text(Tag::Make),
        camera_model: text(Tag::Model),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&image)
            .unwrap();
        out
    }

    #[test]
    fn jpegs_get_a_bounded_thumbnail_and_their_hash() {
        let bytes = jpeg(1600, 1200);
        let inspected = inspect(&bytes, 50_000_000).unwrap();
        assert_eq!(
            (inspected.width, inspected.height, inspected.content_type),
            (1600, 1200, "image/jpeg")
        );
        assert_eq!(inspected.sha256, hex::encode(Sha256::digest(&bytes)));
        let thumb = image::load_from_memory(&inspected.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 240));
    }

    #[test]
    fn pixel_budgets_are_enforced_before_decoding() {
        let bytes = jpeg(400, 300);
        assert!(matches!(
            inspect(&bytes, 100_000),
            Err(InspectError::TooManyPixels {
                pixels: 120_000,
                ..
            })
        ));
    }

    #[test]
    fn disguised_and_unsupported_files_are_refused() {
        assert!(matches!(
            sniff(b"<html><script>alert(1)</script></html>"),
            Err(InspectError::Unsupported(_))
        ));
        assert!(matches!(
            sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"),
            Err(InspectError::Unsupported(_))
        ));
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        match sniff(heic) {
            Err(InspectError::Unsupported(message)) => assert!(message.contains("HEIC")),
            other => panic!("{other:?}"),
        }
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert!(matches!(sniff(gif), Err(InspectError::Unsupported(_))));
        let mut truncated = jpeg(64, 64);
        truncated.truncate(200);
        assert!(inspect(&truncated, 1_000_000).is_err());
    }

    #[test]
    fn orientation_six_turns_the_thumbnail_upright() {
        let wide = DynamicImage::ImageRgb8(RgbImage::new(40, 20));
        let upright = orient(wide, 6);
        assert_eq!((upright.width(), upright.height()), (20, 40));
    }
}
