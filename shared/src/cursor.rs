//! Opaque, tamper-evident pagination cursors.
//!
//! A cursor is the position a listing stopped at (a DynamoDB `LastEvaluatedKey`, say), serialised
//! as JSON, bound to the listing it came from by a `scope` (for example `orders:<user id>`), and
//! signed with HMAC-SHA256 under a server key. A client cannot read it usefully, forge it, or
//! replay it on another listing or for another user: any of those is `400 invalid_cursor`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

use crate::error::ApiError;

/// Bytes of the HMAC kept in a cursor: 128 bits are far beyond guessing.
const TAG_LEN: usize = 16;
/// Longer input is refused before any decoding work.
const MAX_CURSOR_LEN: usize = 2048;

/// Signs and checks cursors with one server key.
#[derive(Clone)]
pub struct CursorCodec {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec { key: <redacted> }")
    }
}

impl CursorCodec {
    /// `key` must be secret and at least 32 bytes.
    pub fn new(key: impl Into<Vec<u8>>) -> Result<Self, &'static str> {
        let key = key.into();
        if key.len() < 32 {
            return Err("a cursor key needs at least 32 bytes");
        }
        Ok(Self { key })
    }

    fn tag(&self, scope: &str, payload: &[u8]) -> Hmac<Sha256> {
        // The key length is checked in `new`; HMAC accepts keys of any length anyway.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(&(scope.len() as u64).to_be_bytes());
        mac.update(scope.as_bytes());
        mac.update(payload);
        mac
    }

    pub fn encode<T: Serialize>(&self, scope: &str, position: &T) -> Result<String, ApiError> {
        let mut bytes = serde_json::to_vec(position).map_err(ApiError::internal)?;
        let tag = self.tag(scope, &bytes).finalize().into_bytes();
        bytes.extend_from_slice(&tag[..TAG_LEN]);
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn decode<T: DeserializeOwned>(&self, scope: &str, cursor: &str) -> Result<T, ApiError> {
        if cursor.is_empty() || cursor.len() > MAX_CURSOR_LEN {
            return Err(ApiError::InvalidCursor);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(cursor)
            .map_err(|_| ApiError::InvalidCursor)?;
        if bytes.len() <= TAG_LEN {
            return Err(ApiError::InvalidCursor);
        }
        let (payload, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        self.tag(scope, payload)
            .verify_truncated_left(tag)
            .map_err(|_| ApiError::InvalidCursor)?;
        serde_json::from_slice(payload).map_err(|_| ApiError::InvalidCursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn codec() -> CursorCodec {
        CursorCodec::new([7u8; 32]).unwrap_or_else(|e| panic!("{e}"))
    }

    fn position() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("pk".to_owned(), "PRODUCT#01J".to_owned()),
            ("sk".to_owned(), "META".to_owned()),
        ])
    }

    #[test]
    fn a_cursor_round_trips_within_its_scope() {
        let cursor = codec().encode("products", &position()).unwrap_or_default();
        let back: BTreeMap<String, String> = codec()
            .decode("products", &cursor)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, position());
    }

    #[test]
    fn a_cursor_from_another_listing_is_refused() {
        let cursor = codec()
            .encode("orders:alice", &position())
            .unwrap_or_default();
        let err = codec().decode::<BTreeMap<String, String>>("orders:bob", &cursor);
        assert!(matches!(err, Err(ApiError::InvalidCursor)));
    }

    #[test]
    fn a_changed_byte_is_refused() {
        let cursor = codec().encode("products", &position()).unwrap_or_default();
        let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap_or_default();
        bytes[3] ^= 1;
        let forged = URL_SAFE_NO_PAD.encode(bytes);
        let err = codec().decode::<BTreeMap<String, String>>("products", &forged);
        assert!(matches!(err, Err(ApiError::InvalidCursor)));
    }

    #[test]
    fn a_cursor_signed_with_another_key_is_refused() {
        let other = CursorCodec::new([8u8; 32]).unwrap_or_else(|e| panic!("{e}"));
        let cursor = other.encode("products", &position()).unwrap_or_default();
        let err = codec().decode::<BTreeMap<String, String>>("products", &cursor);
        assert!(matches!(err, Err(ApiError::InvalidCursor)));
    }

    #[test]
    fn garbage_is_refused() {
        for garbage in ["", "!!!", "abc", "eyJwayI6IngifQ", &"A".repeat(5000)] {
            let err = codec().decode::<BTreeMap<String, String>>("products", garbage);
            assert!(matches!(err, Err(ApiError::InvalidCursor)), "{garbage}");
        }
    }

    #[test]
    fn a_short_key_is_refused() {
        assert!(CursorCodec::new(vec![1u8; 16]).is_err());
    }
}
