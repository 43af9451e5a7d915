//! The deployment's secret keys, read from AWS Secrets Manager.
//!
//! The secret (created by the template with a generated key) is JSON:
//! `{"kid": "k1", "key": "<at least 32 characters>", "previous": {"kid": ..., "key": ...}}`.
//! To rotate, write a new version whose `previous` is the old current key: tokens signed with it
//! stay valid until they expire. The cursor key is derived from the current key, so it needs no
//! secret of its own.

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use tokio::sync::OnceCell;

use crate::auth::jwt::{SigningKey, TokenIssuer, TokenVerifier};
use crate::config::{ConfigError, TokenSettings};
use crate::cursor::CursorCodec;
use crate::env::SecretSource;
use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read the secret {0}")]
    Unreadable(String, #[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the secret {0} is not valid: {1}")]
    Invalid(String, &'static str),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// The text of the secret `arn`.
pub async fn read_string(
    client: &aws_sdk_secretsmanager::Client,
    arn: &str,
) -> Result<String, SecretError> {
    let output = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| SecretError::Unreadable(arn.to_owned(), Box::new(e)))?;
    output
        .secret_string()
        .map(str::to_owned)
        .ok_or_else(|| SecretError::Invalid(arn.to_owned(), "not a string secret"))
}

#[derive(Deserialize)]
struct KeyJson {
    kid: String,
    key: String,
}

#[derive(Deserialize)]
struct SecretJson {
    kid: String,
    key: String,
    previous: Option<KeyJson>,
}

/// The keys a function signs and checks with, and the token settings they are used with.
#[derive(Debug, Clone)]
pub struct Keys {
    verifier: TokenVerifier,
    ttl_secs: i64,
    cursors: CursorCodec,
    idempotency: [u8; 32],
    order_tokens: [u8; 32],
}

impl Keys {
    pub fn parse(name: &str, text: &str, settings: TokenSettings) -> Result<Self, SecretError> {
        let invalid = |why| SecretError::Invalid(name.to_owned(), why);
        let json: SecretJson =
            serde_json::from_str(text).map_err(|_| invalid("not the expected JSON"))?;
        let current = SigningKey::new(json.kid, json.key.as_bytes()).map_err(invalid)?;
        let previous = json
            .previous
            .map(|p| SigningKey::new(p.kid, p.key.as_bytes()))
            .transpose()
            .map_err(invalid)?;
        // A key of its own for cursors, so that no cursor key is ever a token key.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(json.key.as_bytes())
            .map_err(|_| invalid("unusable key"))?;
        mac.update(b"storefront cursor key v2");
        let cursors = CursorCodec::new(&mac.finalize().into_bytes()).map_err(invalid)?;
        // And one for the idempotency store's hashes and seals (see `crate::idempotency`).
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(json.key.as_bytes())
            .map_err(|_| invalid("unusable key"))?;
        mac.update(b"storefront idempotency key v1");
        let idempotency = mac.finalize().into_bytes().into();
        // And one that seals a guest's order token for the confirmation email's link.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(json.key.as_bytes())
            .map_err(|_| invalid("unusable key"))?;
        mac.update(b"storefront order token key v1");
        Ok(Self {
            verifier: TokenVerifier::new(current, previous, settings.issuer, settings.audience),
            ttl_secs: settings.ttl_secs,
            cursors,
            idempotency,
            order_tokens: mac.finalize().into_bytes().into(),
        })
    }

    /// The key the idempotency store hashes requests and seals their answers with. Derived from
    /// the current signing key: rotating it starts the store afresh (a retry across the
    /// rotation is a new request), so rotate when the shop is quiet.
    pub fn idempotency_key(&self) -> &[u8; 32] {
        &self.idempotency
    }

    /// The key a guest order's token is sealed with, for the email that links to the order.
    /// Derived from the current signing key: after a rotation, an order placed before it is
    /// confirmed by email without the link (its token still opens it).
    pub fn order_token_key(&self) -> &[u8; 32] {
        &self.order_tokens
    }

    pub fn issuer(&self) -> TokenIssuer {
        TokenIssuer::from_verifier(self.verifier.clone(), self.ttl_secs)
    }

    pub fn verifier(&self) -> &TokenVerifier {
        &self.verifier
    }

    pub fn cursors(&self) -> &CursorCodec {
        &self.cursors
    }
}

/// Keys read from Secrets Manager on first use rather than at cold start, for functions that
/// often need none: an anonymous product read checks no token and seals no cursor, so its cold
/// start skips the network round trip. A failed read is not kept: the next use tries again.
pub struct LazyKeys {
    source: SecretSource,
    settings: TokenSettings,
    cell: OnceCell<Keys>,
}

impl LazyKeys {
    /// The keys of the secret `source`, read on first use.
    pub fn new(source: SecretSource, settings: TokenSettings) -> Self {
        Self {
            source,
            settings,
            cell: OnceCell::new(),
        }
    }

    pub async fn get(&self) -> Result<&Keys, ApiError> {
        self.cell
            .get_or_try_init(|| async {
                let text = self.source.read().await.map_err(ApiError::unavailable)?;
                Keys::parse(self.source.arn(), &text, self.settings.clone())
                    .map_err(ApiError::unavailable)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> TokenSettings {
        TokenSettings {
            issuer: "storefront".into(),
            audience: "storefront-api".into(),
            ttl_secs: 900,
        }
    }

    #[test]
    fn a_generated_secret_parses_and_short_keys_are_refused() {
        let keys = Keys::parse(
            "s",
            r#"{"kid":"k1","key":"0123456789abcdef0123456789abcdef0123"}"#,
            settings(),
        )
        .unwrap();
        assert_eq!(keys.verifier.current.kid, "k1");
        assert!(keys.verifier.previous.is_none());
        let rotated = Keys::parse(
            "s",
            r#"{"kid":"k2","key":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","previous":{"kid":"k1","key":"0123456789abcdef0123456789abcdef0123"}}"#,
            settings(),
        )
        .unwrap();
        assert_eq!(
            rotated.verifier.previous.map(|k| k.kid).as_deref(),
            Some("k1")
        );
        assert!(Keys::parse("s", r#"{"kid":"k1","key":"short"}"#, settings()).is_err());
        assert!(Keys::parse("s", "not json", settings()).is_err());
    }

    #[test]
    fn a_token_issued_with_the_keys_verifies_with_them() {
        let keys = Keys::parse(
            "s",
            r#"{"kid":"k1","key":"0123456789abcdef0123456789abcdef0123"}"#,
            settings(),
        )
        .unwrap();
        let token = keys
            .issuer()
            .issue("u1", crate::auth::Role::Customer, 1_000);
        assert_eq!(keys.verifier().verify(&token, 1_000).unwrap().sub, "u1");
    }

    #[test]
    fn an_error_names_the_secret_but_never_its_value() {
        let err = Keys::parse(
            "arn:secret:app",
            r#"{"kid":"k1","key":"hunter2"}"#,
            settings(),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("arn:secret:app") && !text.contains("hunter2"),
            "{text}"
        );
    }
}
