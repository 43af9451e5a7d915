//! The image function's codec: a file is recognised by its content (never by its name or
//! declared type), refused if its header promises more pixels than the function will decode,
//! decoded within allocation limits, turned upright by its EXIF orientation, and encoded anew
//! (original and 320-pixel thumbnail). The re-encoding carries pixels only: no EXIF (GPS
//! position included), no other metadata, nothing appended after the image.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use shared::catalog::images::{ImageCodec, Processed, Rejected};
use shared::catalog::model::MAX_IMAGE_BYTES;

/// The longest side of a thumbnail.
pub const THUMBNAIL_SIDE: u32 = 320;
/// More pixels than this is refused before decoding (a decompression bomb is small on disk).
pub const MAX_PIXELS: u64 = 40_000_000;
const MAX_SIDE: u32 = 20_000;
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// JPEG quality of a re-encoded original: visually lossless for product photos.
const ORIGINAL_QUALITY: u8 = 90;
const THUMBNAIL_QUALITY: u8 = 80;

#[derive(Default)]
pub struct Codec;

impl ImageCodec for Codec {
    fn process(&self, bytes: &[u8]) -> Result<Processed, Rejected> {
        process(bytes)
    }
}

pub fn process(bytes: &[u8]) -> Result<Processed, Rejected> {
    if i64::try_from(bytes.len()).unwrap_or(i64::MAX) > MAX_IMAGE_BYTES {
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
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .map_err(|_| Rejected("unreadable header"))?;
    decoder
        .set_limits(limits)
        .map_err(|_| Rejected("too many pixels"))?;
    // Metadata that does not parse is dropped with the rest; the pixels decide.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut decoded =
        DynamicImage::from_decoder(decoder).map_err(|_| Rejected("does not decode"))?;
    decoded.apply_orientation(orientation);
    let original = encode(&decoded, format)?;
    let small = if decoded.width().max(decoded.height()) > THUMBNAIL_SIDE {
        decoded.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
    } else {
        decoded.clone()
    };
    let mut thumbnail = Vec::new();
    JpegEncoder::new_with_quality(&mut thumbnail, THUMBNAIL_QUALITY)
        .encode_image(&small.to_rgb8())
        .map_err(|_| Rejected("cannot make a thumbnail"))?;
    Ok(Processed {
        content_type,
        extension,
        width: decoded.width(),
        height: decoded.height(),
        original,
        thumbnail,
    })
}

/// The image in its own format, from its pixels alone.
fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, Rejected> {
    let mut out = Vec::new();
    let encoded =
        match format {
            ImageFormat::Jpeg => JpegEncoder::new_with_quality(&mut out, ORIGINAL_QUALITY)
                .encode_image(&image.to_rgb8()),
            // PNG and WebP (lossless) keep transparency.
            _ => DynamicImage::ImageRgba8(image.to_rgba8())
                .write_to(&mut Cursor::new(&mut out), format),
        };
    encoded.map_err(|_| Rejected("cannot encode the image"))?;
    Ok(out)
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
    fn what_is_published_is_a_fresh_encoding_without_what_followed_the_image() {
        let mut polyglot = encoded(64, 48, ImageFormat::Jpeg);
        polyglot.extend_from_slice(b"<script>alert('appended after the image')</script>");
        let processed = process(&polyglot).unwrap();
        assert!(!processed.original.windows(8).any(|w| w == b"<script>"));
        let back = image::load_from_memory(&processed.original).unwrap();
        assert_eq!((back.width(), back.height()), (64, 48));
    }

    #[test]
    fn exif_does_not_survive_the_re_encoding() {
        // A JPEG with an APP1 Exif segment (a GPS-bearing camera writes one) after its SOI.
        let plain = encoded(32, 32, ImageFormat::Jpeg);
        let mut exif = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10];
        exif.extend_from_slice(b"Exif\0\0GPSINFO!");
        exif.extend_from_slice(&plain[2..]);
        let processed = process(&exif).unwrap();
        assert!(!processed.original.windows(4).any(|w| w == b"Exif"));
    }

    #[test]
    fn a_gif_is_not_accepted() {
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert!(process(gif).is_err());
    }
}
