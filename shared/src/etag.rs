//! Entity tags (RFC 9110 §8.8.3) of representations, and the two ways of comparing them.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// A strong ETag of a representation (a product, a page of products).
pub fn of<T: Serialize>(representation: &T) -> String {
    let bytes = serde_json::to_vec(representation).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    format!("\"{}\"", crate::auth::tokens::hex(&digest[..16]))
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
