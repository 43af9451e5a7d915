//! Idempotent requests: the store behind the `Idempotency-Key` header.
//!
//! A request is identified by its caller and its key; a hash of its method, path and body tells
//! a true retry from a key used again for something else. The first request claims the key with
//! one conditional write: a lock that expires when the function's own time runs out, so a
//! request that died holding it does not block its retries for long. A finished request's
//! response (status, headers, body) is kept for 24 hours and given back to every retry; a
//! request that failed on our side releases its key, so a retry runs again.
//!
//! What is kept is sealed: the response is encrypted under a key derived from the caller's
//! idempotency key, which is never stored (only a hash of it names the item). A login's tokens
//! or an order's payment secret replayed from here are unreadable to anyone reading the table.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | a claimed key | `IDEMPOTENCY#<sha256 of caller and key>` | `IDEMPOTENCY` |

use std::time::Duration;

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::auth::tokens::hex;
use crate::db::{self, Table, number, string};
use crate::error::ApiError;

/// How long a finished request's response is given back to retries.
pub const REPLAY_WINDOW_SECONDS: i64 = 24 * 60 * 60;
const SK: &str = "IDEMPOTENCY";
const NONCE_LEN: usize = 24;

/// Who sends a request: keys are scoped to their caller, as Stripe scopes them to an account.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    User(&'a str),
    /// A guest's checkout: scoped by the order's email (its key, as discounts count it), so a
    /// guest's keys are the guest's own.
    Guest(&'a str),
    /// Requests without an account (register, login, refresh): scoped by the client's network
    /// (its IP, an IPv6 client's /64), so that nobody elsewhere can take a predictable key first
    /// and have a client's request answered with theirs.
    Anonymous,
}

impl Caller<'_> {
    /// The scope of this caller's keys, for a request from `source_ip`.
    pub fn scope(&self, source_ip: &str) -> String {
        match self {
            Self::User(id) => format!("user:{id}"),
            Self::Guest(email_key) => format!("guest:{email_key}"),
            Self::Anonymous => {
                format!("anonymous:{}", crate::rate_limit::client_network(source_ip))
            }
        }
    }
}

impl<'a> From<&'a crate::auth::Principal> for Caller<'a> {
    fn from(principal: &'a crate::auth::Principal) -> Self {
        Self::User(&principal.user_id)
    }
}

/// What identifies one request: its scope (caller and key), the hash of what it asks, and the
/// key its stored response is sealed with.
pub struct Fingerprint {
    pk: String,
    request_hash: String,
    seal_key: [u8; 32],
}

impl Fingerprint {
    /// Every part is keyed with the server's `secret` (HMAC-SHA256): a copy of the table does
    /// not let anyone test guesses of a login's password against its request hash, nor open a
    /// kept answer with a key the client chose. The scope holds the route too, so one key
    /// sent to two routes is two requests.
    pub fn new(
        secret: &[u8; 32],
        caller: &str,
        key: &str,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Self {
        let keyed = |parts: &[&[u8]]| -> [u8; 32] {
            let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(secret)
                .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
            for part in parts {
                mac.update(&(part.len() as u64).to_be_bytes());
                mac.update(part);
            }
            mac.finalize().into_bytes().into()
        };
        let scope = |purpose: &str| {
            keyed(&[
                purpose.as_bytes(),
                caller.as_bytes(),
                method.as_bytes(),
                path.as_bytes(),
                key.as_bytes(),
            ])
        };
        Self {
            pk: format!(
                "IDEMPOTENCY#{}",
                hex(&scope("storefront idempotency scope"))
            ),
            request_hash: hex(&keyed(&[
                b"storefront idempotency request",
                method.as_bytes(),
                path.as_bytes(),
                body,
            ])),
            seal_key: scope("storefront idempotency seal"),
        }
    }
}

/// A response as it is kept and given back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The outcome of claiming a key.
#[derive(Debug)]
pub enum Claim {
    /// The key is this request's: run it, then [`Idempotency::complete`] or
    /// [`Idempotency::release`].
    Acquired(Lock),
    /// The same request already finished: here is its response.
    Replay(StoredResponse),
    /// The same request is still running elsewhere.
    InProgress { retry_after: Duration },
    /// The key was used for another request.
    KeyReused,
}

/// A claimed key, held by one running request.
#[derive(Debug)]
pub struct Lock {
    pk: String,
    token: String,
    seal_key: [u8; 32],
    /// An id the request may give what it makes (an order): the same for every attempt at
    /// the same request, so an attempt after one that died half-way finds what it made.
    pub reserved_id: crate::ids::Id,
}

#[derive(Debug, Serialize, Deserialize)]
struct Item {
    pk: String,
    sk: String,
    request_hash: String,
    /// `in_progress` or `completed`.
    state: String,
    lock_token: String,
    lock_until_ms: i64,
    /// Unix seconds after which the item is gone (also the table's TTL attribute).
    ttl: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<String>,
    /// See [`Lock::reserved_id`]; absent on records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reserved_id: Option<String>,
}

/// The idempotency store: one capability, built from the table.
#[derive(Debug, Clone)]
pub struct Idempotency {
    table: Table,
}

impl Idempotency {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Claims the key for this request, or says why not. `lock_until_ms` is when the function
    /// running it will have been stopped (its deadline).
    pub async fn claim(
        &self,
        fingerprint: &Fingerprint,
        now_ms: i64,
        lock_until_ms: i64,
    ) -> Result<Claim, ApiError> {
        let token = crate::ids::Id::new().to_string();
        let reserved = crate::ids::Id::new();
        let item = Item {
            pk: fingerprint.pk.clone(),
            sk: SK.to_owned(),
            request_hash: fingerprint.request_hash.clone(),
            state: "in_progress".to_owned(),
            lock_token: token.clone(),
            lock_until_ms,
            ttl: now_ms / 1000 + REPLAY_WINDOW_SECONDS,
            response: None,
            reserved_id: Some(reserved.to_string()),
        };
        let put = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(db::to_item(&item)?))
            // New, or a kept response past its window (TTL deletes late), or a lock whose
            // holder has run out of time.
            .condition_expression(
                "attribute_not_exists(pk) OR #ttl <= :now_s \
                 OR (#state = :in_progress AND lock_until_ms < :now_ms)",
            )
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":now_s", number(now_ms / 1000))
            .expression_attribute_values(":now_ms", number(now_ms))
            .expression_attribute_values(":in_progress", string("in_progress"))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await;
        let existing = match put {
            Ok(output) => {
                let before = output.attributes.map(db::from_item::<Item>).transpose()?;
                let reserved_id = match before.and_then(|old| taken_over(old, fingerprint)) {
                    Some(earlier) => self.keep_reserved(&fingerprint.pk, &token, earlier).await?,
                    None => reserved,
                };
                return Ok(Claim::Acquired(Lock {
                    pk: fingerprint.pk.clone(),
                    token,
                    seal_key: fingerprint.seal_key,
                    reserved_id,
                }));
            }
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item() {
                        Some(old) => db::from_item::<Item>(old.clone())?,
                        None => return Err(ApiError::internal(err)),
                    }
                }
                _ => return Err(err.into()),
            },
        };
        if existing.request_hash != fingerprint.request_hash {
            return Ok(Claim::KeyReused);
        }
        match existing.response {
            Some(sealed) if existing.state == "completed" => {
                Ok(Claim::Replay(unseal(&fingerprint.seal_key, &sealed)?))
            }
            _ => {
                let wait_ms = (existing.lock_until_ms - now_ms).max(0);
                Ok(Claim::InProgress {
                    retry_after: Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0))
                        .max(Duration::from_secs(1)),
                })
            }
        }
    }

    /// The claim took over the lock of an attempt at the same request whose time ran out: it
    /// keeps that attempt's reserved id.
    async fn keep_reserved(
        &self,
        pk: &str,
        token: &str,
        earlier: crate::ids::Id,
    ) -> Result<crate::ids::Id, ApiError> {
        self.table
            .client
            .update_item()
            .table_name(&self.table.name)
            .key("pk", string(pk))
            .key("sk", string(SK))
            .update_expression("SET reserved_id = :reserved")
            .condition_expression("lock_token = :token")
            .expression_attribute_values(":reserved", string(earlier.as_str()))
            .expression_attribute_values(":token", string(token))
            .send()
            .await?;
        Ok(earlier)
    }

    /// Keeps the response of the request holding `lock`, for its retries.
    pub async fn complete(&self, lock: Lock, response: &StoredResponse) -> Result<(), ApiError> {
        let sealed = seal(&lock.seal_key, response)?;
        self.table
            .client
            .update_item()
            .table_name(&self.table.name)
            .key("pk", string(&lock.pk))
            .key("sk", string(SK))
            .update_expression("SET #state = :completed, #response = :response")
            .condition_expression("lock_token = :token")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":completed", string("completed"))
            .expression_attribute_values(":response", string(sealed))
            .expression_attribute_values(":token", string(&lock.token))
            .send()
            .await?;
        Ok(())
    }

    /// Gives the key up: the request failed on our side and a retry must run it again.
    pub async fn release(&self, lock: Lock) -> Result<(), ApiError> {
        self.table
            .client
            .delete_item()
            .table_name(&self.table.name)
            .key("pk", string(&lock.pk))
            .key("sk", string(SK))
            .condition_expression("lock_token = :token")
            .expression_attribute_values(":token", string(&lock.token))
            .send()
            .await?;
        Ok(())
    }
}

/// The reserved id of the record a claim replaced, if that record was an unfinished attempt at
/// the same request (not a finished one past its window, nor another request's).
fn taken_over(old: Item, fingerprint: &Fingerprint) -> Option<crate::ids::Id> {
    let same = old.state == "in_progress" && old.request_hash == fingerprint.request_hash;
    same.then_some(old.reserved_id)
        .flatten()
        .and_then(|id| crate::ids::Id::parse(&id))
}

fn seal(key: &[u8; 32], response: &StoredResponse) -> Result<String, ApiError> {
    seal_bytes(
        key,
        &serde_json::to_vec(response).map_err(ApiError::internal)?,
    )
}

fn unseal(key: &[u8; 32], sealed: &str) -> Result<StoredResponse, ApiError> {
    serde_json::from_slice(&open_bytes(key, sealed)?).map_err(ApiError::internal)
}

/// `plain` encrypted and authenticated under `key` (XChaCha20-Poly1305, a random nonce in
/// front), as base64: what the table keeps of a secret it must give back later.
pub(crate) fn seal_bytes(key: &[u8; 32], plain: &[u8]) -> Result<String, ApiError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| ApiError::internal(e.to_string()))?;
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), plain)
        .map_err(|_| ApiError::internal("cannot seal"))?;
    let mut bytes = nonce.to_vec();
    bytes.extend(sealed);
    Ok(BASE64.encode(bytes))
}

/// What [`seal_bytes`] sealed under `key`.
pub(crate) fn open_bytes(key: &[u8; 32], sealed: &str) -> Result<Vec<u8>, ApiError> {
    let bytes = BASE64
        .decode(sealed)
        .map_err(|_| ApiError::internal("a sealed value is not base64"))?;
    let (nonce, sealed) = bytes
        .split_at_checked(NONCE_LEN)
        .ok_or_else(|| ApiError::internal("a sealed value is too short"))?;
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), sealed)
        .map_err(|_| ApiError::internal("a sealed value does not open with its key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: [u8; 32] = [7; 32];

    fn fingerprint(caller: Caller<'_>, key: &str, body: &str) -> Fingerprint {
        let scope = caller.scope("203.0.113.9");
        Fingerprint::new(&SECRET, &scope, key, "POST", "/orders", body.as_bytes())
    }

    #[test]
    fn the_scope_is_the_caller_and_the_key_and_the_hash_is_the_request() {
        let a = fingerprint(Caller::User("u1"), "k", "{}");
        let same = fingerprint(Caller::User("u1"), "k", "{}");
        let other_body = fingerprint(Caller::User("u1"), "k", "{ }");
        let other_user = fingerprint(Caller::User("u2"), "k", "{}");
        let anonymous = fingerprint(Caller::Anonymous, "k", "{}");
        assert_eq!((&a.pk, &a.request_hash), (&same.pk, &same.request_hash));
        assert_eq!(a.pk, other_body.pk);
        assert_ne!(a.request_hash, other_body.request_hash);
        assert_ne!(a.pk, other_user.pk);
        assert_ne!(a.pk, anonymous.pk);
        let hash = a.pk.strip_prefix("IDEMPOTENCY#").unwrap_or_default();
        assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
        let path = Fingerprint::new(&SECRET, "user:u1", "k", "POST", "/orders/x/cancel", b"{}");
        assert_ne!(a.request_hash, path.request_hash);
        assert_ne!(a.pk, path.pk, "one key on two routes is two requests");
        // Another network's anonymous client has its own scope; one in the same /64 shares it.
        let elsewhere = Caller::Anonymous.scope("198.51.100.1");
        assert_ne!(Caller::Anonymous.scope("203.0.113.9"), elsewhere);
        assert_eq!(
            Caller::Anonymous.scope("2001:db8::1"),
            Caller::Anonymous.scope("2001:db8::2")
        );
        // Without the server's secret, a copy of the table tells nothing about the body: the
        // same request under another secret hashes to something else entirely.
        let other = Fingerprint::new(&[8; 32], "user:u1", "k", "POST", "/orders", b"{}");
        assert_ne!(other.request_hash, a.request_hash);
        assert_ne!(other.pk, a.pk);
        let plain = hex(&<Sha256 as sha2::Digest>::digest(b"{}"));
        assert_ne!(a.request_hash, plain);
    }

    #[test]
    fn a_kept_response_opens_only_with_its_own_key() {
        let response = StoredResponse {
            status: 201,
            headers: vec![("content-type".into(), "application/json".into())],
            body: br#"{"client_secret":"pi_secret"}"#.to_vec(),
        };
        let key = fingerprint(Caller::User("u1"), "k", "{}").seal_key;
        let sealed = seal(&key, &response).unwrap_or_default();
        assert!(!sealed.contains("pi_secret"));
        assert_eq!(unseal(&key, &sealed).ok(), Some(response));
        let other = fingerprint(Caller::User("u1"), "k2", "{}").seal_key;
        assert!(unseal(&other, &sealed).is_err());
    }
}
