//! Entity tags (RFC 9110 §8.8.3) of representations, and the two ways of comparing them.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// A strong ETag of a representation (a product, a page of products).
pub fn of<T: Serialize>(representation: &T) -> String {
    of_json(&serde_json::to_vec(representation).unwrap_or_default())
}

/// The strong ETag of a representation's JSON bytes.
pub fn of_json(json: &[u8]) -> String {
    let digest = Sha256::digest(json);
    format!("\"{}\"", crate::auth::tokens::hex(&digest[..16]))
}

/// A representation serialised once, and the ETag of those bytes: a read answers with both
/// without serialising twice.
#[derive(Debug, Clone)]
pub struct Tagged {
    pub json: Vec<u8>,
    pub etag: String,
}

impl Tagged {
    pub fn of<T: Serialize>(representation: &T) -> Result<Self, serde_json::Error> {
        let json = serde_json::to_vec(representation)?;
        Ok(Self {
            etag: of_json(&json),
            json,
        })
    }

    /// `{"<name>": <this>}`, keeping this representation's ETag.
    pub fn wrapped(self, name: &str) -> Result<Self, serde_json::Error> {
        let mut json = serde_json::to_vec(&std::collections::BTreeMap::from([(name, ())]))?;
        // `{"name":null}`: the representation takes null's place.
        json.truncate(json.len() - "null}".len());
        json.extend_from_slice(&self.json);
        json.push(b'}');
        Ok(Self {
            json,
            etag: self.etag,
        })
    }
}

/// `If-Match`: strong comparison (§13.1.1). A weak tag (`W/"..."`) never matches, since a
/// write must not be based on a representation that is only "equivalent".
pub fn if_match(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || (!t.starts_with("W/") && t == etag))
}

/// `If-None-Match`: weak comparison (§13.1.2), where `W/"x"` and `"x"` are the same.
pub fn if_none_match(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_is_strong_and_if_none_match_weak() {
        assert!(if_match("\"abc\"", "\"abc\""));
        assert!(if_match("\"x\", \"abc\"", "\"abc\""));
        assert!(if_match("*", "\"abc\""));
        assert!(!if_match("W/\"abc\"", "\"abc\""));
        assert!(!if_match("\"abd\"", "\"abc\""));
        assert!(if_none_match("\"x\", W/\"abc\"", "\"abc\""));
        assert!(if_none_match("*", "\"abc\""));
        assert!(!if_none_match("\"abd\"", "\"abc\""));
    }

    #[test]
    fn a_wrapped_representation_is_the_envelope_with_the_inner_tag() {
        let inner = serde_json::json!({"id": "p1", "name": "Mug \"blue\""});
        let tagged = Tagged::of(&inner).unwrap_or_else(|e| panic!("{e}"));
        let wrapped = tagged.wrapped("product").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            wrapped.json,
            serde_json::to_vec(&serde_json::json!({ "product": inner }))
                .unwrap_or_else(|e| panic!("{e}"))
        );
        assert_eq!(wrapped.etag, of(&inner));
    }

    #[test]
    fn equal_representations_have_equal_tags() {
        assert_eq!(
            of(&serde_json::json!({"a": 1})),
            of(&serde_json::json!({"a": 1}))
        );
        assert_ne!(
            of(&serde_json::json!({"a": 1})),
            of(&serde_json::json!({"a": 2}))
        );
    }
}
