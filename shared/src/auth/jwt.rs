//! Access tokens: JWTs signed with HMAC-SHA256 under a server key, following RFC 8725.
//!
//! The algorithm is pinned: a token whose header names any other algorithm, `none` included, is
//! refused before its signature is looked at. The header's `kid` picks the key, the current or
//! the previous one, so keys rotate without logging anyone out. `iss`, `aud`, `exp`, `iat`,
//! `sub` and `role` are all required and checked.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::Role;

/// The only algorithm this server signs or accepts.
const ALGORITHM: &str = "HS256";
/// Tokens longer than this are refused unread.
const MAX_TOKEN_LEN: usize = 4096;
/// Clock difference tolerated between the issuing and the checking function.
const LEEWAY_SECS: i64 = 30;

/// One signing key and its id.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    secret: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SigningKey {{ kid: {:?}, secret: <redacted> }}",
            self.kid
        )
    }
}

impl SigningKey {
    /// A key needs at least 256 bits.
    pub fn new(kid: impl Into<String>, secret: impl Into<Vec<u8>>) -> Result<Self, &'static str> {
        let (kid, secret) = (kid.into(), secret.into());
        if secret.len() < 32 {
            return Err("a signing key needs at least 32 bytes");
        }
        if kid.is_empty() {
            return Err("a signing key needs a kid");
        }
        Ok(Self { kid, secret })
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: Option<String>,
    kid: Option<String>,
}

/// Why a token was refused (for tests and logs; a client only ever sees 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a JWT")]
    Malformed,
    #[error("algorithm not allowed")]
    Algorithm,
    #[error("unknown key id")]
    UnknownKey,
    #[error("bad signature")]
    Signature,
    #[error("wrong issuer or audience")]
    Audience,
    #[error("expired")]
    Expired,
    #[error("issued in the future")]
    NotYetValid,
}

/// Checks access tokens: every function that takes a bearer token holds one.
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    pub(crate) current: SigningKey,
    pub(crate) previous: Option<SigningKey>,
    pub issuer: String,
    pub audience: String,
}

/// Issues access tokens: only the functions that log people in hold one.
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    verifier: TokenVerifier,
    pub ttl_secs: i64,
}

impl TokenIssuer {
    pub fn new(
        current: SigningKey,
        previous: Option<SigningKey>,
        issuer: impl Into<String>,
        audience: impl Into<String>,
        ttl_secs: i64,
    ) -> Self {
        Self {
            verifier: TokenVerifier::new(current, previous, issuer, audience),
            ttl_secs,
        }
    }

    /// A token for `sub` with `role`, valid `ttl_secs` from `now`, signed with the current key.
    pub fn issue(&self, sub: &str, role: Role, now: i64) -> String {
        let key = &self.verifier.current;
        let header = Header {
            alg: ALGORITHM.to_owned(),
            typ: Some("JWT".to_owned()),
            kid: Some(key.kid.clone()),
        };
        let claims = Claims {
            iss: self.verifier.issuer.clone(),
            aud: self.verifier.audience.clone(),
            sub: sub.to_owned(),
            role,
            iat: now,
            exp: now + self.ttl_secs,
        };
        sign(key, &header, &claims)
    }

    pub fn verifier(&self) -> &TokenVerifier {
        &self.verifier
    }

    pub fn from_verifier(verifier: TokenVerifier, ttl_secs: i64) -> Self {
        Self { verifier, ttl_secs }
    }
}

impl TokenVerifier {
    pub fn new(
        current: SigningKey,
        previous: Option<SigningKey>,
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> Self {
        Self {
            current,
            previous,
            issuer: issuer.into(),
            audience: audience.into(),
        }
    }

    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Header = decode_json(header_b64)?;
        if header.alg != ALGORITHM {
            return Err(TokenError::Algorithm);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.kid == kid)
            .ok_or(TokenError::UnknownKey)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = key.mac();
        mac.update(header_b64.as_bytes());
        mac.update(b".");
        mac.update(claims_b64.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::Signature)?;
        let claims: Claims = decode_json(claims_b64)?;
        if claims.iss != self.issuer || claims.aud != self.audience {
            return Err(TokenError::Audience);
        }
        if claims.exp <= now - LEEWAY_SECS {
            return Err(TokenError::Expired);
        }
        if claims.iat > now + LEEWAY_SECS {
            return Err(TokenError::NotYetValid);
        }
        if claims.sub.is_empty() {
            return Err(TokenError::Malformed);
        }
        Ok(claims)
    }
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

fn sign<C: Serialize>(key: &SigningKey, header: &impl Serialize, claims: &C) -> String {
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap_or_default());
    let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let mut mac = key.mac();
    mac.update(header.as_bytes());
    mac.update(b".");
    mac.update(claims.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{header}.{claims}.{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_795_255_700;

    fn key(kid: &str, byte: u8) -> SigningKey {
        SigningKey::new(kid, vec![byte; 32]).unwrap()
    }

    fn verifier() -> TokenVerifier {
        issuer().verifier().clone()
    }

    fn issuer() -> TokenIssuer {
        TokenIssuer::new(
            key("k2", 2),
            Some(key("k1", 1)),
            "storefront",
            "storefront-api",
            900,
        )
    }

    fn forge(header: serde_json::Value, claims: serde_json::Value, signer: &SigningKey) -> String {
        sign(signer, &header, &claims)
    }

    fn claims() -> serde_json::Value {
        json!({"iss": "storefront", "aud": "storefront-api", "sub": "u1", "role": "admin", "iat": NOW, "exp": NOW + 900})
    }

    #[test]
    fn an_issued_token_verifies_with_its_claims() {
        let token = issuer().issue("u1", Role::Customer, NOW);
        let claims = verifier().verify(&token, NOW + 60).unwrap();
        assert_eq!(claims.sub, "u1");
        assert_eq!(claims.role, Role::Customer);
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn a_token_of_the_previous_key_still_verifies_after_rotation() {
        let old = TokenIssuer::new(key("k1", 1), None, "storefront", "storefront-api", 900);
        let token = old.issue("u1", Role::Customer, NOW);
        assert!(verifier().verify(&token, NOW).is_ok());
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = issuer().issue("u1", Role::Customer, NOW);
        assert_eq!(
            verifier().verify(&token, NOW + 900 + 31),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn alg_none_and_other_algorithms_are_refused() {
        let claims_b64 = URL_SAFE_NO_PAD.encode(claims().to_string());
        for alg in ["none", "None", "HS512", "RS256", "ES256"] {
            let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "kid": "k2"}).to_string());
            for token in [
                format!("{header}.{claims_b64}."),
                format!("{header}.{claims_b64}"),
            ] {
                assert!(verifier().verify(&token, NOW).is_err(), "{alg}: {token}");
            }
            let signed = forge(json!({"alg": alg, "kid": "k2"}), claims(), &key("k2", 2));
            assert_eq!(
                verifier().verify(&signed, NOW),
                Err(TokenError::Algorithm),
                "{alg}"
            );
        }
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let token = forge(
            json!({"alg": "HS256", "kid": "k2"}),
            claims(),
            &key("k2", 9),
        );
        assert_eq!(verifier().verify(&token, NOW), Err(TokenError::Signature));
        let unknown = forge(
            json!({"alg": "HS256", "kid": "k7"}),
            claims(),
            &key("k7", 2),
        );
        assert_eq!(
            verifier().verify(&unknown, NOW),
            Err(TokenError::UnknownKey)
        );
        let no_kid = forge(json!({"alg": "HS256"}), claims(), &key("k2", 2));
        assert_eq!(verifier().verify(&no_kid, NOW), Err(TokenError::UnknownKey));
    }

    #[test]
    fn wrong_issuer_or_audience_is_refused() {
        for (field, value) in [("iss", "someone-else"), ("aud", "another-api")] {
            let mut c = claims();
            c[field] = json!(value);
            let token = forge(json!({"alg": "HS256", "kid": "k2"}), c, &key("k2", 2));
            assert_eq!(
                verifier().verify(&token, NOW),
                Err(TokenError::Audience),
                "{field}"
            );
        }
    }

    #[test]
    fn missing_claims_and_unknown_roles_are_refused() {
        for field in ["sub", "role", "exp", "iat", "aud", "iss"] {
            let mut c = claims();
            c.as_object_mut().unwrap().remove(field);
            let token = forge(json!({"alg": "HS256", "kid": "k2"}), c, &key("k2", 2));
            assert_eq!(
                verifier().verify(&token, NOW),
                Err(TokenError::Malformed),
                "{field}"
            );
        }
        let mut c = claims();
        c["role"] = json!("superuser");
        let token = forge(json!({"alg": "HS256", "kid": "k2"}), c, &key("k2", 2));
        assert_eq!(verifier().verify(&token, NOW), Err(TokenError::Malformed));
    }

    #[test]
    fn garbage_and_truncated_tokens_are_refused() {
        let token = issuer().issue("u1", Role::Customer, NOW);
        for bad in [
            "",
            "garbage",
            "a.b.c",
            "a.b.c.d",
            &token[..token.len() - 5],
            &token[..token.rfind('.').unwrap()],
            &"x".repeat(5000),
        ] {
            assert!(verifier().verify(bad, NOW).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_changed_claim_breaks_the_signature() {
        let token = issuer().issue("u1", Role::Customer, NOW);
        let parts: Vec<&str> = token.split('.').collect();
        let mut c = claims();
        c["role"] = json!("admin");
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(c.to_string()),
            parts[2]
        );
        assert_eq!(
            verifier().verify(&tampered, NOW),
            Err(TokenError::Signature)
        );
    }
}
