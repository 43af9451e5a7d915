//! Opaque, tamper-evident, expiring pagination cursors.
//!
//! A cursor is the position a listing stopped at (a DynamoDB `LastEvaluatedKey`, say) and its
//! expiry, serialised as JSON and sealed with XChaCha20-Poly1305 under a server key, with the
//! listing's `scope` (for example `orders:<user id>`) as associated data. A client can neither
//! read it (the keys of the table stay private), forge it, replay it on another listing or for
//! another user, nor use it after it expires: any of those is `400 invalid_cursor`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A page a listing is asked for: how many items at most, and where the last page ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<String>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u32 = 20;
    pub const MAX_LIMIT: u32 = 100;
}

use crate::error::ApiError;

/// How long a cursor works: long enough to page through a listing, short enough that an old
/// link cannot walk the catalog of another day.
pub const CURSOR_TTL_SECS: i64 = 24 * 3600;
/// XChaCha20's nonce: 192 random bits, so random nonces never repeat in practice.
const NONCE_LEN: usize = 24;
/// Longer input is refused before any decoding work.
const MAX_CURSOR_LEN: usize = 2048;

/// Seals and opens cursors with one server key.
#[derive(Clone)]
pub struct CursorCodec {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec { key: <redacted> }")
    }
}

#[derive(Serialize, Deserialize)]
struct Sealed<T> {
    /// Expiry, Unix seconds.
    e: i64,
    /// The position.
    p: T,
}

impl CursorCodec {
    /// `key` must be secret and exactly 32 bytes.
    pub fn new(key: &[u8]) -> Result<Self, &'static str> {
        let cipher =
            XChaCha20Poly1305::new_from_slice(key).map_err(|_| "a cursor key is 32 bytes")?;
        Ok(Self { cipher })
    }

    pub fn encode<T: Serialize>(
        &self,
        scope: &str,
        position: &T,
        now: i64,
    ) -> Result<String, ApiError> {
        let plain = serde_json::to_vec(&Sealed {
            e: now + CURSOR_TTL_SECS,
            p: position,
        })
        .map_err(ApiError::internal)?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| ApiError::internal(e.to_string()))?;
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: scope.as_bytes(),
                },
            )
            .map_err(|_| ApiError::internal("cannot seal a cursor"))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn decode<T: DeserializeOwned>(
        &self,
        scope: &str,
        cursor: &str,
        now: i64,
    ) -> Result<T, ApiError> {
        if cursor.is_empty() || cursor.len() > MAX_CURSOR_LEN {
            return Err(ApiError::InvalidCursor);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(cursor)
            .map_err(|_| ApiError::InvalidCursor)?;
        let Some((nonce, sealed)) = bytes.split_at_checked(NONCE_LEN) else {
            return Err(ApiError::InvalidCursor);
        };
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: scope.as_bytes(),
                },
            )
            .map_err(|_| ApiError::InvalidCursor)?;
        let opened: Sealed<T> =
            serde_json::from_slice(&plain).map_err(|_| ApiError::InvalidCursor)?;
        if opened.e <= now {
            return Err(ApiError::InvalidCursor);
        }
        Ok(opened.p)
    }

    /// One page of the listing `scope`: `cursor` opened to the position it holds, the page
    /// read from there by `read`, and where the next page starts sealed again.
    pub async fn read_page<T, P, F, Fut>(
        &self,
        scope: &str,
        cursor: Option<&str>,
        now: i64,
        read: F,
    ) -> Result<Page<T>, ApiError>
    where
        P: Serialize + DeserializeOwned,
        F: FnOnce(Option<P>) -> Fut,
        Fut: Future<Output = Result<(Vec<T>, Option<P>), ApiError>>,
    {
        let start = cursor.map(|c| self.decode(scope, c, now)).transpose()?;
        let (items, next) = read(start).await?;
        Ok(Page {
            items,
            next_cursor: next
                .map(|position| self.encode(scope, &position, now))
                .transpose()?,
        })
    }
}

/// A page of a listing: its items and the cursor of the next page (`null` on the last).
#[derive(Debug, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The same page with each item shown as `show` makes it.
    pub fn map<U>(self, show: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(show).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const NOW: i64 = 1_795_255_700;

    fn codec() -> CursorCodec {
        CursorCodec::new(&[7u8; 32]).unwrap_or_else(|e| panic!("{e}"))
    }

    fn position() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("pk".to_owned(), "PRODUCT#01J".to_owned()),
            ("sk".to_owned(), "META".to_owned()),
        ])
    }

    fn encode(scope: &str) -> String {
        codec()
            .encode(scope, &position(), NOW)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn decode(scope: &str, cursor: &str, now: i64) -> Result<BTreeMap<String, String>, ApiError> {
        codec().decode(scope, cursor, now)
    }

    #[test]
    fn a_cursor_round_trips_within_its_scope() {
        let back = decode("products", &encode("products"), NOW + 60);
        assert_eq!(back.ok(), Some(position()));
    }

    #[test]
    fn a_cursor_is_not_readable() {
        let cursor = encode("products");
        let bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for visible in ["PRODUCT", "pk", "META"] {
            assert!(!text.contains(visible), "{visible} shows in {text}");
        }
        assert_ne!(encode("products"), cursor, "each cursor has its own nonce");
    }

    #[test]
    fn a_cursor_from_another_listing_is_refused() {
        let err = decode("orders:bob", &encode("orders:alice"), NOW);
        assert!(matches!(err, Err(ApiError::InvalidCursor)));
    }

    #[test]
    fn an_expired_cursor_is_refused() {
        let cursor = encode("products");
        assert!(decode("products", &cursor, NOW + CURSOR_TTL_SECS - 1).is_ok());
        let err = decode("products", &cursor, NOW + CURSOR_TTL_SECS);
        assert!(matches!(err, Err(ApiError::InvalidCursor)));
    }

    #[test]
    fn every_changed_byte_is_refused() {
        let cursor = encode("products");
        let bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap_or_default();
        for i in 0..bytes.len() {
            let mut forged = bytes.clone();
            forged[i] ^= 1;
            let err = decode("products", &URL_SAFE_NO_PAD.encode(forged), NOW);
            assert!(matches!(err, Err(ApiError::InvalidCursor)), "byte {i}");
        }
    }

    #[test]
    fn a_cursor_sealed_with_another_key_is_refused() {
        let other = CursorCodec::new(&[8u8; 32]).unwrap_or_else(|e| panic!("{e}"));
        let cursor = other
            .encode("products", &position(), NOW)
            .unwrap_or_default();
        assert!(matches!(
            decode("products", &cursor, NOW),
            Err(ApiError::InvalidCursor)
        ));
    }

    #[test]
    fn garbage_is_refused() {
        for garbage in ["", "!!!", "abc", "eyJwayI6IngifQ", &"A".repeat(5000)] {
            let err = decode("products", garbage, NOW);
            assert!(matches!(err, Err(ApiError::InvalidCursor)), "{garbage}");
        }
    }

    #[test]
    fn a_short_key_is_refused() {
        assert!(CursorCodec::new(&[1u8; 16]).is_err());
    }
}
