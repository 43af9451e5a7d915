//! The deployment's secret keys, read once at cold start from AWS Secrets Manager.
//!
//! The secret (created by the template with a generated key) is JSON:
//! `{"kid": "k1", "key": "<at least 32 characters>", "previous": {"kid": ..., "key": ...}}`.
//! To rotate, write a new version whose `previous` is the old current key: tokens signed with it
//! stay valid until they expire. The cursor key is derived from the current key, so it needs no
//! secret of its own.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use tokio::sync::OnceCell;

use crate::auth::jwt::{SigningKey, TokenIssuer};
use crate::cursor::CursorCodec;
use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read the secret {0}")]
    Unreadable(String, #[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the secret {0} is not valid: {1}")]
    Invalid(String, &'static str),
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

/// The keys a function signs and checks with.
#[derive(Debug, Clone)]
pub struct Keys {
    pub current: SigningKey,
    pub previous: Option<SigningKey>,
    pub cursors: CursorCodec,
}

impl Keys {
    pub fn parse(name: &str, text: &str) -> Result<Self, SecretError> {
        let invalid = |why| SecretError::Invalid(name.to_owned(), why);
        let json: SecretJson =
            serde_json::from_str(text).map_err(|_| invalid("not the expected JSON"))?;
        let current = SigningKey::new(json.kid, json.key.as_bytes()).map_err(invalid)?;
        let previous = json
            .previous
            .map(|p| SigningKey::new(p.kid, p.key.as_bytes()))
            .transpose()
            .map_err(invalid)?;
        // A key of its own for cursors, so that no cursor is ever a valid token signature.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(json.key.as_bytes())
            .map_err(|_| invalid("unusable key"))?;
        mac.update(b"storefront cursor key");
        let cursors = CursorCodec::new(mac.finalize().into_bytes().to_vec()).map_err(invalid)?;
        Ok(Self {
            current,
            previous,
            cursors,
        })
    }

    /// Reads the secret named by `APP_SECRET_ARN`.
    pub async fn load(
        client: &aws_sdk_secretsmanager::Client,
        arn: &str,
    ) -> Result<Self, SecretError> {
        let output = client
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(|e| SecretError::Unreadable(arn.to_owned(), Box::new(e)))?;
        let text = output
            .secret_string()
            .ok_or_else(|| SecretError::Invalid(arn.to_owned(), "not a string secret"))?;
        Self::parse(arn, text)
    }
}

/// Who tokens are issued by and for, and how long they last.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    pub ttl_secs: i64,
}

impl Keys {
    pub fn issuer(&self, settings: &TokenSettings) -> TokenIssuer {
        TokenIssuer::new(
            self.current.clone(),
            self.previous.clone(),
            settings.issuer.clone(),
            settings.audience.clone(),
            settings.ttl_secs,
        )
    }
}

/// What the keys give a function: a token issuer and the cursor codec.
#[derive(Debug)]
pub struct Signing {
    pub issuer: TokenIssuer,
    pub cursors: CursorCodec,
}

/// Keys read from Secrets Manager on first use rather than at cold start, for functions that
/// often need none: an anonymous product read checks no token and signs no cursor, so its cold
/// start skips the network round trip. A failed read is not kept: the next use tries again.
pub struct LazySigning {
    source: Option<(aws_sdk_secretsmanager::Client, String)>,
    settings: TokenSettings,
    cell: OnceCell<Signing>,
}

impl LazySigning {
    pub fn new(
        client: aws_sdk_secretsmanager::Client,
        arn: String,
        settings: TokenSettings,
    ) -> Self {
        Self {
            source: Some((client, arn)),
            settings,
            cell: OnceCell::new(),
        }
    }

    /// No keys at all, for tools that only write to the table: any use is an internal error.
    pub fn none() -> Self {
        Self {
            source: None,
            settings: TokenSettings {
                issuer: String::new(),
                audience: String::new(),
                ttl_secs: 0,
            },
            cell: OnceCell::new(),
        }
    }

    pub async fn get(&self) -> Result<&Signing, ApiError> {
        self.cell
            .get_or_try_init(|| async {
                let Some((client, arn)) = &self.source else {
                    return Err(ApiError::internal("this function has no signing keys"));
                };
                let keys = Keys::load(client, arn)
                    .await
                    .map_err(ApiError::unavailable)?;
                Ok(Signing {
                    issuer: keys.issuer(&self.settings),
                    cursors: keys.cursors,
                })
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_parses_and_short_keys_are_refused() {
        let keys = Keys::parse(
            "s",
            r#"{"kid":"k1","key":"0123456789abcdef0123456789abcdef0123"}"#,
        )
        .unwrap();
        assert_eq!(keys.current.kid, "k1");
        assert!(keys.previous.is_none());
        let rotated = Keys::parse(
            "s",
            r#"{"kid":"k2","key":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","previous":{"kid":"k1","key":"0123456789abcdef0123456789abcdef0123"}}"#,
        )
        .unwrap();
        assert_eq!(rotated.previous.map(|k| k.kid).as_deref(), Some("k1"));
        assert!(Keys::parse("s", r#"{"kid":"k1","key":"short"}"#).is_err());
        assert!(Keys::parse("s", "not json").is_err());
    }

    #[tokio::test]
    async fn a_function_without_keys_fails_its_request_not_its_start() {
        let signing = LazySigning::none();
        assert!(matches!(signing.get().await, Err(ApiError::Internal(_))));
    }

    #[test]
    fn an_error_names_the_secret_but_never_its_value() {
        let err = Keys::parse("arn:secret:app", r#"{"kid":"k1","key":"hunter2"}"#).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("arn:secret:app") && !text.contains("hunter2"),
            "{text}"
        );
    }
}
