//! The JPEG decoder behind every thumbnail, decoding at a DCT scale (1/8 … 1) so a 12 MP photo
//! never exists at full size in memory.
//!
//! libjpeg-turbo (as the `mozjpeg` crate builds it from source, with the C compiler Rust links
//! with) decodes first: its entropy decoder is what a photo's CPU goes to, about 0.7x of the
//! pure-Rust `jpeg-decoder`'s time. Its SIMD code needs `nasm` when it is built and is left out
//! silently without it; `in_use` says which. What libjpeg-turbo cannot read (CMYK, arithmetic
//! coding) or reads only with a warning (a file cut short) goes to `jpeg-decoder`, which also
//! decodes everything in a build without the `libjpeg-turbo` feature. The name is logged at
//! start-up and is a label on `/metrics`.

use super::inspect::InspectError;

/// Pixels decoded at a scale, 3 bytes (RGB) each.
pub struct Scaled {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

/// The decoder this build uses first for JPEGs.
pub fn in_use() -> &'static str {
    #[cfg(feature = "libjpeg-turbo")]
    {
        if turbo::has_simd() {
            "libjpeg-turbo (SIMD)"
        } else {
            "libjpeg-turbo (without SIMD: nasm was missing when it was built)"
        }
    }
    #[cfg(not(feature = "libjpeg-turbo"))]
    {
        "jpeg-decoder (pure Rust)"
    }
}

/// Decodes `bytes` at the smallest DCT scale that keeps the longest side at least `side`.
pub fn decode_scaled(bytes: &[u8], side: u32) -> Result<Scaled, InspectError> {
    #[cfg(feature = "libjpeg-turbo")]
    if let Some(scaled) = turbo::decode_scaled(bytes, side) {
        return Ok(scaled);
    }
    pure_rust::decode_scaled(bytes, side)
}

/// The smallest scale, in eighths, that keeps the longest side of `width`×`height` at least
/// `side` (or whole): the thumbnail is bounded by its longest side.
fn eighths(width: u32, height: u32, side: u32) -> u32 {
    let longest = width.max(height);
    [1, 2, 4, 8]
        .into_iter()
        .find(|&n| (longest * n).div_ceil(8) >= side.min(longest))
        .unwrap_or(8)
}

#[cfg(feature = "libjpeg-turbo")]
mod turbo {
    use std::cell::Cell;
    use std::os::raw::c_int;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use mozjpeg_sys::{jpeg_common_struct, jpeg_error_mgr, jpeg_std_error};

    use super::{Scaled, eighths};

    thread_local! {
        /// Warnings libjpeg gave while decoding on this thread (a file cut short is one).
        static WARNINGS: Cell<u32> = const { Cell::new(0) };
    }

    unsafe extern "C" {
        /// 1 when libjpeg-turbo was built with its SIMD code and this CPU runs it; the plain C
        /// build's stand-in always answers 0.
        fn jsimd_can_idct_islow() -> c_int;
    }

    pub fn has_simd() -> bool {
        // SAFETY: a query without arguments or state, defined in both builds of the library.
        unsafe { jsimd_can_idct_islow() == 1 }
    }

    extern "C-unwind" fn count_warning(_: &mut jpeg_common_struct, level: c_int) {
        if level < 0 {
            WARNINGS.with(|w| w.set(w.get() + 1));
        }
    }

    extern "C-unwind" fn unwind(_: &mut jpeg_common_struct) {
        std::panic::resume_unwind(Box::new("libjpeg refused the file"));
    }

    /// The pixels, or `None` when libjpeg-turbo refused the file or warned while reading it.
    pub fn decode_scaled(bytes: &[u8], side: u32) -> Option<Scaled> {
        WARNINGS.with(|w| w.set(0));
        // libjpeg reports a fatal error by unwinding out of its C code (built with
        // -fexceptions); the panic stops here, and resume_unwind prints nothing.
        let decoded = catch_unwind(AssertUnwindSafe(|| -> std::io::Result<Scaled> {
            // SAFETY: jpeg_std_error only fills the zeroed struct with libjpeg's defaults.
            let mut errors: jpeg_error_mgr = unsafe { std::mem::zeroed() };
            unsafe { jpeg_std_error(&mut errors) };
            errors.emit_message = Some(count_warning);
            errors.error_exit = Some(unwind);
            let mut decompress = mozjpeg::decompress::DecompressBuilder::new()
                .with_err(errors)
                .from_mem(bytes)?;
            let (width, height) = decompress.size();
            let (width, height) = (u32::try_from(width).ok(), u32::try_from(height).ok());
            let (Some(width), Some(height)) = (width, height) else {
                return Err(std::io::ErrorKind::InvalidData.into());
            };
            decompress.scale(eighths(width, height, side) as u8);
            let mut started = decompress.rgb()?;
            let (width, height) = (started.width() as u32, started.height() as u32);
            let rgb = started.read_scanlines::<u8>()?;
            started.finish()?;
            Ok(Scaled { width, height, rgb })
        }));
        let warned = WARNINGS.with(|w| w.get()) > 0;
        match decoded {
            Ok(Ok(scaled)) if !warned => Some(scaled),
            _ => None,
        }
    }
}

mod pure_rust {
    use std::io::Cursor;

    use super::{InspectError, Scaled, eighths};

    pub fn decode_scaled(bytes: &[u8], side: u32) -> Result<Scaled, InspectError> {
        let corrupt = |e: jpeg_decoder::Error| InspectError::Corrupt(e.to_string());
        let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
        let info = decoder
            .read_info()
            .map(|_| decoder.info())
            .map_err(corrupt)?;
        let info = info.ok_or_else(|| InspectError::Corrupt("no JPEG header".into()))?;
        let (full_width, full_height) = (u32::from(info.width), u32::from(info.height));
        let n = eighths(full_width, full_height, side);
        let wanted = |full: u32| u16::try_from((full * n).div_ceil(8)).unwrap_or(u16::MAX);
        let (width, height) = decoder
            .scale(wanted(full_width), wanted(full_height))
            .map_err(corrupt)?;
        let pixels = decoder.decode().map_err(corrupt)?;
        let rgb: Vec<u8> = match info.pixel_format {
            jpeg_decoder::PixelFormat::RGB24 => pixels,
            jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
            jpeg_decoder::PixelFormat::L16 => pixels
                .chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0]])
                .collect(),
            jpeg_decoder::PixelFormat::CMYK32 => pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = u16::from(p[3]);
                    [p[0], p[1], p[2]].map(|c| (u16::from(c) * k / 255) as u8)
                })
                .collect(),
        };
        Ok(Scaled {
            width: u32::from(width),
            height: u32::from(height),
            rgb,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&image)
            .unwrap();
        out
    }

    #[test]
    fn the_scale_keeps_each_side_at_least_the_thumbnail() {
        assert_eq!(eighths(4032, 3024, 320), 1);
        assert_eq!(eighths(3024, 4032, 320), 1);
        assert_eq!(eighths(2000, 1500, 320), 2);
        assert_eq!(eighths(1600, 1200, 320), 2);
        assert_eq!(eighths(1200, 900, 320), 4);
        assert_eq!(eighths(10000, 300, 320), 1);
        assert_eq!(eighths(200, 100, 320), 8);
    }

    #[test]
    fn both_decoders_give_the_same_size_and_close_pixels() {
        let bytes = jpeg(1600, 1200);
        let first = decode_scaled(&bytes, 320).unwrap();
        let pure = pure_rust::decode_scaled(&bytes, 320).unwrap();
        assert_eq!((first.width, first.height), (400, 300));
        assert_eq!((pure.width, pure.height), (400, 300));
        assert_eq!(first.rgb.len(), 400 * 300 * 3);
        let differing = first
            .rgb
            .iter()
            .zip(&pure.rgb)
            .filter(|(a, b)| a.abs_diff(**b) > 24)
            .count();
        assert!(
            differing < first.rgb.len() / 100,
            "{differing} bytes differ"
        );
    }

    #[test]
    fn files_cut_short_or_not_jpeg_are_refused() {
        let mut cut = jpeg(640, 480);
        cut.truncate(cut.len() / 2);
        assert!(decode_scaled(&cut, 320).is_err());
        assert!(decode_scaled(b"\xff\xd8\xff\xe0 not really", 320).is_err());
        assert!(decode_scaled(b"", 320).is_err());
    }

    #[cfg(feature = "libjpeg-turbo")]
    #[test]
    fn libjpeg_turbo_decodes_first_and_is_named() {
        let bytes = jpeg(800, 600);
        assert!(turbo::decode_scaled(&bytes, 320).is_some());
        assert!(in_use().starts_with("libjpeg-turbo"));
    }
}
