//! What is done to an uploaded file's bytes: recognised by content (never by name or declared
//! type), refused if its header promises more pixels than the function will decode, decoded
//! within allocation limits, and scaled to a thumbnail.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, ImageReader, Limits};

/// The longest side of a thumbnail.
pub const THUMBNAIL_SIDE: u32 = 320;
/// More pixels than this is refused before decoding (a decompression bomb is small on disk).
pub const MAX_PIXELS: u64 = 40_000_000;
const MAX_SIDE: u32 = 20_000;
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// A valid image, ready to store.
#[derive(Debug)]
pub struct Processed {
    pub content_type: &'static str,
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
    /// JPEG bytes, longest side at most [`THUMBNAIL_SIDE`].
    pub thumbnail: Vec<u8>,
}

/// Why a file is not accepted as a product image (logged; the client sees `rejected`).
#[derive(Debug, PartialEq, Eq)]
pub struct Rejected(pub &'static str);

pub fn process(bytes: &[u8]) -> Result<Processed, Rejected> {
    if bytes.len() as i64 > shared::catalog::model::MAX_IMAGE_BYTES {
        return Err(Rejected("larger than 5 MiB"));
    }
    let format = image::guess_format(bytes).map_err(|_| Rejected("not an image"))?;
    let (content_type, extension) = match format {
        ImageFormat::Jpeg => ("image/jpeg", "jpg"),
        ImageFormat::Png => ("image/png", "png"),
        ImageFormat::WebP => ("image/webp", "webp"),
        _ => return Err(Rejected("not a JPEG, PNG or WebP")),
    };
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| Rejected("unreadable header"))?;
    if width == 0
        || height == 0
        || width > MAX_SIDE
        || height > MAX_SIDE
        || u64::from(width) * u64::from(height) > MAX_PIXELS
    {
        return Err(Rejected("too many pixels"));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|_| Rejected("does not decode"))?;
    let small = if width.max(height) > THUMBNAIL_SIDE {
        decoded.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
    } else {
        decoded
    };
    let mut thumbnail = Vec::new();
    JpegEncoder::new_with_quality(&mut thumbnail, 80)
        .encode_image(&small.to_rgb8())
        .map_err(|_| Rejected("cannot make a thumbnail"))?;
    Ok(Processed {
        content_type,
        extension,
        width,
        height,
        thumbnail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, RgbImage};

    fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let picture = DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }));
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_large_jpeg_gets_a_thumbnail_of_320_on_its_longest_side() {
        let processed = process(&encoded(1200, 800, ImageFormat::Jpeg)).unwrap();
        assert_eq!((processed.width, processed.height), (1200, 800));
        assert_eq!(processed.content_type, "image/jpeg");
        let thumb = image::load_from_memory(&processed.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 213));
    }

    #[test]
    fn png_and_webp_are_recognised_by_their_bytes() {
        let png = process(&encoded(400, 1000, ImageFormat::Png)).unwrap();
        assert_eq!((png.content_type, png.extension), ("image/png", "png"));
        let thumb = image::load_from_memory(&png.thumbnail).unwrap();
        assert_eq!(thumb.height(), 320);
        let webp = process(&encoded(50, 40, ImageFormat::WebP)).unwrap();
        assert_eq!(webp.content_type, "image/webp");
        // Smaller than a thumbnail: kept at its size.
        let thumb = image::load_from_memory(&webp.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (50, 40));
    }

    #[test]
    fn text_with_an_image_name_is_rejected() {
        assert_eq!(
            process(b"just some text, named photo.png").unwrap_err(),
            Rejected("not an image")
        );
        assert!(process(b"").is_err());
    }

    #[test]
    fn a_truncated_image_is_rejected() {
        let bytes = encoded(300, 300, ImageFormat::Png);
        assert!(process(&bytes[..bytes.len() / 2]).is_err());
    }

    #[test]
    fn a_header_promising_too_many_pixels_is_rejected_without_decoding() {
        // A real 1x1 PNG whose header is changed to claim 30000 x 30000 (with a valid CRC).
        let mut png = encoded(1, 1, ImageFormat::Png);
        png[16..20].copy_from_slice(&30_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&30_000u32.to_be_bytes());
        let crc = crc32fast::hash(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(process(&png).unwrap_err(), Rejected("too many pixels"));
    }

    #[test]
    fn a_gif_is_not_accepted() {
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert!(process(gif).is_err());
    }
}
