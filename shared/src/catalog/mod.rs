//! The catalog: products, their listing and search, and their images.
//!
//! `model` holds validation, items and views; `repo` every DynamoDB access; `service` the rules
//! of `API.md`. The image function's own work (decoding, thumbnails) lives in its crate, so only
//! it carries an image library.

pub mod model;
pub mod repo;
pub mod service;

pub use service::{Catalog, CatalogSettings};

/// Where a browser uploads an image: under the prefix the image function is triggered by.
pub const UPLOAD_PREFIX: &str = "incoming/";

pub fn upload_key(product_id: &str, image_id: &str) -> String {
    format!("{UPLOAD_PREFIX}{product_id}/{image_id}")
}

/// The product and image ids of an upload key (already URL-decoded), if it is one.
pub fn parse_upload_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(UPLOAD_PREFIX)?;
    let (product, image) = rest.split_once('/')?;
    let valid = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
    (valid(product) && valid(image)).then_some((product, image))
}

/// Where a processed image's files go in the images bucket.
pub fn image_keys(product_id: &str, image_id: &str, extension: &str) -> (String, String) {
    let base = format!("products/{product_id}/{image_id}");
    (
        format!("{base}/original.{extension}"),
        format!("{base}/thumb-320.jpg"),
    )
}

/// Decodes an S3 event key: `+` is a space, `%XX` a byte.
pub fn decode_s3_key(key: &str) -> Option<String> {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = key.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_keys_round_trip_and_strangers_are_refused() {
        let key = upload_key("01JPRODUCT", "01JIMAGE");
        assert_eq!(parse_upload_key(&key), Some(("01JPRODUCT", "01JIMAGE")));
        for other in [
            "products/01J/x",
            "incoming/01J",
            "incoming//x",
            "incoming/a/b/c",
            "incoming/a b/c",
        ] {
            assert_eq!(parse_upload_key(other), None, "{other}");
        }
    }

    #[test]
    fn event_keys_are_url_decoded() {
        assert_eq!(
            decode_s3_key("incoming%2F01J%2F01K").as_deref(),
            Some("incoming/01J/01K")
        );
        assert_eq!(decode_s3_key("a+b%20c").as_deref(), Some("a b c"));
        assert_eq!(decode_s3_key("bad%zz"), None);
        assert_eq!(decode_s3_key("cut%2"), None);
    }
}
