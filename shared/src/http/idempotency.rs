//! The `Idempotency-Key` header: a POST run at most once per key, its response given back to
//! every retry (see [`crate::idempotency`] for the store).
//!
//! A handler names its caller (known once the token is checked) and whether a key is required,
//! and passes the rest of its work as a closure: [`Idempotent::run`] claims the key, runs the
//! work, keeps its response (a 4xx problem included: a retry gets the same answer) or, when the
//! work failed on our side (5xx) or was throttled (429), releases the key so a retry runs again.

use http::header::{HeaderName, HeaderValue};
use lambda_http::{Body, Request, RequestExt, Response};

use super::{HandlerResult, Input, body, body_bytes, header_str, problem};
use crate::error::ApiError;
use crate::idempotency::{Caller, Claim, Fingerprint, Idempotency, StoredResponse};
use crate::ids::Id;

pub const KEY_HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// How long a request may hold its key when the invocation gives no deadline (a test).
const DEFAULT_LOCK_MS: i64 = 30_000;

/// Whether a route requires a key (`POST /orders`) or only honours one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRule {
    Required,
    Honoured,
}

/// The server's key for the idempotency store: ready, or read from the app secret on the
/// first request that needs it.
#[derive(Clone)]
pub enum IdempotencyKey {
    Ready([u8; 32]),
    Lazy(std::sync::Arc<crate::secrets::LazyKeys>),
}

impl IdempotencyKey {
    pub fn lazy(keys: crate::secrets::LazyKeys) -> Self {
        Self::Lazy(std::sync::Arc::new(keys))
    }

    async fn get(&self) -> Result<[u8; 32], ApiError> {
        match self {
            Self::Ready(key) => Ok(*key),
            Self::Lazy(keys) => Ok(*keys.get().await?.idempotency_key()),
        }
    }
}

impl std::fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdempotencyKey(..)")
    }
}

/// The capability: the store, for a function whose POST honours keys (or, with
/// [`requiring_key`](Idempotent::requiring_key), requires one), and the server key its
/// records are hashed and sealed with.
#[derive(Debug, Clone)]
pub struct Idempotent {
    store: Idempotency,
    rule: KeyRule,
    key: IdempotencyKey,
    /// A successful answer holds secrets to be given once (a refresh's new tokens): its
    /// retries are told it was made, not given it again.
    answer_once: bool,
}

impl Idempotent {
    /// Keys kept in `table`, under the server's `key`.
    pub fn new(table: crate::db::Table, key: IdempotencyKey) -> Self {
        Self {
            store: Idempotency::new(table),
            rule: KeyRule::Honoured,
            key,
            answer_once: false,
        }
    }

    /// The same store, for a route whose successful answer is given once: a retry with the key
    /// is `409` and learns nothing (`POST /auth/refresh`: whoever replays a stolen refresh
    /// token's request with its key gets no token pair, and the login is not revoked either).
    pub fn answering_once(&self) -> Self {
        Self {
            answer_once: true,
            ..self.clone()
        }
    }

    /// The same store, for a route that requires a key (`POST /orders`).
    pub fn requiring_key(&self) -> Self {
        Self {
            rule: KeyRule::Required,
            ..self.clone()
        }
    }

    /// A POST whose body is the route's [`Input`], run once per key: `work` gets the body and
    /// the time the request is handled at (Unix seconds).
    pub async fn post<T: Input>(
        &self,
        request: Request,
        caller: Caller<'_>,
        work: impl AsyncFnOnce(T, i64) -> HandlerResult,
    ) -> HandlerResult {
        let work = async |request: Request, _| work(body(&request)?, crate::clock::now()).await;
        self.run(request, caller, work).await
    }

    /// [`Self::post`], for work that makes something under an id: `work` is handed the id that
    /// every attempt at the same request gets ([`crate::idempotency::Lock::reserved_id`]), so an
    /// attempt after one that failed half-way (its answer lost, its function stopped) finds
    /// what the first made instead of making it twice. Without a key, a new id.
    pub async fn post_reserving<T: Input>(
        &self,
        request: Request,
        caller: Caller<'_>,
        work: impl AsyncFnOnce(T, i64, Id) -> HandlerResult,
    ) -> HandlerResult {
        let work = async |request: Request, reserved: Option<Id>| {
            let id = reserved.unwrap_or_default();
            work(body(&request)?, crate::clock::now(), id).await
        };
        self.run(request, caller, work).await
    }

    /// A POST without a body (an order's next step), run once per key.
    pub async fn act(
        &self,
        request: Request,
        caller: Caller<'_>,
        work: impl AsyncFnOnce(i64) -> HandlerResult,
    ) -> HandlerResult {
        let work = async |_, _| work(crate::clock::now()).await;
        self.run(request, caller, work).await
    }

    /// Runs `work` once per key: the first request with a key runs it, a retry gets its response.
    async fn run(
        &self,
        request: Request,
        caller: Caller<'_>,
        work: impl AsyncFnOnce(Request, Option<Id>) -> HandlerResult,
    ) -> HandlerResult {
        let key = match header_str(&request, KEY_HEADER) {
            Some(key) if is_valid_key(key) => key.to_owned(),
            Some(_) => {
                return Err(ApiError::validation(
                    "Idempotency-Key",
                    "must be 1-255 printable ASCII characters",
                ));
            }
            // Present, but not text.
            None if request.headers().contains_key(KEY_HEADER) => {
                return Err(ApiError::validation(
                    "Idempotency-Key",
                    "must be 1-255 printable ASCII characters",
                ));
            }
            None if self.rule == KeyRule::Required => {
                return Err(ApiError::IdempotencyKeyRequired);
            }
            None => return work(request, None).await,
        };
        let fingerprint = Fingerprint::new(
            &self.key.get().await?,
            &caller.scope(&super::source_ip(&request)),
            &key,
            request.method().as_str(),
            request.raw_http_path(),
            body_bytes(&request)?,
        );
        let now_ms = crate::clock::now_ms();
        let lock_until_ms = request
            .lambda_context_ref()
            .and_then(|context| i64::try_from(context.deadline).ok())
            .filter(|deadline| *deadline > now_ms)
            .unwrap_or(now_ms + DEFAULT_LOCK_MS);
        let lock = match self
            .store
            .claim(&fingerprint, now_ms, lock_until_ms)
            .await?
        {
            Claim::Acquired(lock) => lock,
            Claim::Replay(stored) => return Ok(replay(stored)),
            Claim::InProgress { retry_after } => {
                return Err(ApiError::IdempotencyInProgress { retry_after });
            }
            Claim::KeyReused => return Err(ApiError::IdempotencyKeyReused),
        };

        let reserved = lock.reserved_id.clone();
        let result = work(request, Some(reserved)).await;
        let (status, stored) = match &result {
            Ok(response) if self.answer_once && response.status().is_success() => {
                let made = ApiError::Conflict {
                    code: crate::error::ErrorCode::Conflict,
                    detail: "This request was made already; its answer is given once.".to_owned(),
                };
                (response.status().as_u16(), keep(&problem(&made)))
            }
            Ok(response) => (response.status().as_u16(), keep(response)),
            Err(err) => (err.status(), keep(&problem(err))),
        };
        // What happens to the key never changes the answer: the work is done. A key that
        // cannot be kept or released is held until its lock runs out.
        let outcome = if status >= 500 || status == 429 {
            self.store.release(lock).await
        } else {
            self.store.complete(lock, &stored).await
        };
        if let Err(err) = outcome {
            tracing::warn!(error = %crate::error::cause_chain(&err), "idempotency key not settled");
        }
        result
    }
}

/// 1-255 printable ASCII characters (space to tilde).
pub fn is_valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

fn keep(response: &Response<Body>) -> StoredResponse {
    StoredResponse {
        status: response.status().as_u16(),
        headers: response
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
            .collect(),
        body: match response.body() {
            Body::Text(text) => text.as_bytes().to_vec(),
            Body::Binary(bytes) => bytes.clone(),
            _ => Vec::new(),
        },
    }
}

fn replay(stored: StoredResponse) -> Response<Body> {
    let mut response = Response::new(if stored.body.is_empty() {
        Body::Empty
    } else {
        Body::Binary(stored.body)
    });
    *response.status_mut() =
        http::StatusCode::from_u16(stored.status).unwrap_or(http::StatusCode::OK);
    let headers = response.headers_mut();
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    headers.insert(
        HeaderName::from_static(REPLAYED_HEADER),
        HeaderValue::from_static("true"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_printable_ascii_characters() {
        assert!(is_valid_key("a"));
        assert!(is_valid_key(&"k".repeat(255)));
        assert!(is_valid_key("order 2026-11-22 ~#1"));
        assert!(!is_valid_key(""));
        assert!(!is_valid_key(&"k".repeat(256)));
        assert!(!is_valid_key("tab\there"));
        assert!(!is_valid_key("café"));
    }

    #[test]
    fn a_replay_is_the_kept_response_marked_as_replayed() {
        let stored = StoredResponse {
            status: 201,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("etag".into(), "\"abc\"".into()),
            ],
            body: b"{\"id\":\"1\"}".to_vec(),
        };
        let response = replay(stored.clone());
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["etag"], "\"abc\"");
        assert_eq!(response.headers()[REPLAYED_HEADER], "true");
        assert_eq!(keep(&response).body, stored.body);
    }
}
