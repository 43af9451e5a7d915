//! Guest checkout: an order placed with an email and no account. Its `order_token` (256
//! random bits) is shown once, in the checkout's answer; the table keeps its SHA-256 (what
//! reading and cancelling the order compare with, in constant time) and a copy sealed with the
//! app secret's order-token key, which only the confirmation email's link opens. A guest's
//! unpaid orders are counted by email, and join the account of that email when it signs in.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::Digest as _;

use crate::error::ApiError;

/// A new order token: 32 random bytes, URL-safe base64.
pub fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the table keeps to check a token: its SHA-256, in hex.
pub fn hash(token: &str) -> String {
    crate::auth::tokens::hex(&sha2::Sha256::digest(token.as_bytes()))
}

/// Whether `presented` is the token whose hash is `stored`, compared in constant time.
pub fn matches(stored: &str, presented: &str) -> bool {
    let presented = hash(presented);
    stored.len() == presented.len()
        && stored
            .bytes()
            .zip(presented.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// Whether `token` opens `order`: a guest's order, and its own token.
pub fn opens(order: &super::model::OrderItem, token: &str) -> bool {
    order
        .token_hash
        .as_deref()
        .is_some_and(|hash| matches(hash, token))
}

/// Whose unpaid-order count a guest's order holds: its email's.
pub fn holder(email_key: &str) -> String {
    format!("guest-{email_key}")
}

/// The header a guest opens its order with.
pub const TOKEN_HEADER: &str = "order-token";

/// The key a guest's checkout is known by (its email's, as discount codes count it), from the
/// body of `POST /orders`: what scopes the guest's `Idempotency-Key`. A body without a valid
/// `email` is `400` naming it.
pub fn email_key(body: &serde_json::Value) -> Result<String, ApiError> {
    let email = body
        .get("email")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| {
            ApiError::validation("email", "is required to check out without an account")
        })?;
    let email = crate::accounts::model::Email::parse(email)
        .map_err(|why| ApiError::validation("email", why))?;
    Ok(crate::discounts::keys::customer(email.as_str()))
}

/// The token sealed for the confirmation email.
pub fn seal(key: &[u8; 32], token: &str) -> Result<String, ApiError> {
    crate::idempotency::seal_bytes(key, token.as_bytes())
}

/// The token a sealed copy holds; `None` if it does not open with `key` (sealed before a key
/// rotation).
pub fn open(key: &[u8; 32], sealed: &str) -> Option<String> {
    let bytes = crate::idempotency::open_bytes(key, sealed).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_its_hash_only_and_its_sealed_copy_opens_with_its_key_only() {
        let token = new_token().unwrap();
        assert_eq!(token.len(), 43);
        assert_ne!(token, new_token().unwrap());
        let stored = hash(&token);
        assert!(matches(&stored, &token));
        assert!(!matches(&stored, &new_token().unwrap()));
        assert!(!matches(&stored, ""));
        assert!(!matches(&stored, &stored));
        let sealed = seal(&[7; 32], &token).unwrap();
        assert!(!sealed.contains(&token));
        assert_eq!(open(&[7; 32], &sealed), Some(token));
        assert_eq!(open(&[8; 32], &sealed), None);
    }
}
