//! HTTP plumbing shared by every API function: reading requests, writing responses, and the
//! wrapper ([`run`]) that every request passes through.
//!
//! The wrapper gives each request a span carrying its request id (API Gateway's, so the id a
//! client sees in `X-Request-Id` is the one on every log line), turns errors into problem
//! responses, adds `X-Request-Id` and the CORS headers to every response, errors included, and
//! logs one line per request.

use std::convert::Infallible;
use std::future::Future;
use std::str::FromStr;
use std::time::Instant;

use http::StatusCode;
use http::header::{self, HeaderName, HeaderValue};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tracing::Instrument as _;

use crate::config::{Config, Cors};
use crate::error::{ApiError, FieldError, cause_chain};

/// Request bodies larger than this are refused with 413 before they are parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What a handler returns.
pub type HandlerResult = Result<Response<Body>, ApiError>;

/// Headers a browser may read from a response.
const EXPOSED_HEADERS: &str =
    "X-Request-Id, ETag, Location, Retry-After, Idempotent-Replayed, Allow";
/// Headers a browser may send (answered to a CORS preflight).
pub const ALLOWED_REQUEST_HEADERS: &str =
    "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match";

/// Runs an API function: every invocation goes through [`respond`].
pub async fn run<H, Fut>(config: Config, handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(Request) -> Fut + Sync,
    Fut: Future<Output = HandlerResult> + Send,
{
    let config = &config;
    let handler = &handler;
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Infallible>(respond(config, request, handler).await)
    }))
    .await
}

/// Handles one request: the handler's result, or its error as a problem, with the headers every
/// response carries.
pub async fn respond<H, Fut>(config: &Config, request: Request, handler: H) -> Response<Body>
where
    H: FnOnce(Request) -> Fut,
    Fut: Future<Output = HandlerResult>,
{
    let started = Instant::now();
    let request_id = request_id(&request);
    let origin = header_str(&request, header::ORIGIN).map(str::to_owned);
    let method = request.method().clone();
    let path = request.raw_http_path().to_owned();
    let span = tracing::info_span!("request", request_id = %request_id);

    let mut response = async {
        match handler(request).await {
            Ok(response) => response,
            Err(err) => {
                log_error(&err);
                problem(&err)
            }
        }
    }
    .instrument(span.clone())
    .await;

    finish_headers(&mut response, &config.cors, origin.as_deref(), &request_id);
    span.in_scope(|| {
        tracing::info!(
            http.method = %method,
            http.path = %path,
            http.status = response.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        );
    });
    response
}

/// Logs an error once, where it is handled: a 5xx with its whole cause chain, a 4xx briefly.
fn log_error(err: &ApiError) {
    if err.status() >= 500 {
        tracing::error!(error.code = err.code().as_str(), error = %cause_chain(err), "request failed");
    } else {
        tracing::info!(error.code = err.code().as_str(), "request refused");
    }
}

/// API Gateway's request id, or a fresh one when there is none (a hand-made event).
pub fn request_id(request: &Request) -> String {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    }
    .filter(|id| !id.is_empty())
    .unwrap_or_else(|| ulid::Ulid::new().to_string())
}

fn finish_headers(
    response: &mut Response<Body>,
    cors: &Cors,
    origin: Option<&str>,
    request_id: &str,
) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(HeaderName::from_static("x-request-id"), value);
    }
    cors_headers(headers, cors, origin);
}

/// Adds the CORS headers of an ordinary (non-preflight) response.
pub fn cors_headers(headers: &mut http::HeaderMap, cors: &Cors, origin: Option<&str>) {
    if let Cors::Origins(_) = cors {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if let Some(allowed) = cors.allow_origin(origin)
        && let Ok(value) = HeaderValue::from_str(allowed)
    {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
}

/// A header's value, if present and readable as text.
pub fn header_str(request: &Request, name: impl header::AsHeaderName) -> Option<&str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The body, checked (JSON content type, size) and parsed into `T`.
///
/// Syntax errors give `400 malformed_json`; a body that is JSON but of the wrong shape gives
/// `400 validation_failed` naming the field (`items[2].quantity`).
pub fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    let bytes = body_bytes(request)?;
    match header_str(request, header::CONTENT_TYPE) {
        Some(value) if is_json_media_type(value) => {}
        _ => return Err(ApiError::UnsupportedMediaType),
    }
    parse_json(bytes)
}

/// The raw body bytes (API Gateway's base64 already decoded), at most [`MAX_BODY_BYTES`].
pub fn body_bytes(request: &Request) -> Result<&[u8], ApiError> {
    let bytes: &[u8] = match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    Ok(bytes)
}

fn is_json_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

/// Parses JSON, telling a broken document from a well-formed one of the wrong shape.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::MalformedJson("the body is empty".to_owned()));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                ApiError::Validation(vec![data_error(&path, &inner)])
            }
            _ => ApiError::MalformedJson(inner.to_string()),
        }
    })?;
    deserializer
        .end()
        .map_err(|err| ApiError::MalformedJson(err.to_string()))?;
    Ok(value)
}

/// Names the field of a shape error. serde reports a missing field at its parent's path with the
/// name in the message, so the name is joined on here.
fn data_error(path: &str, err: &serde_json::Error) -> FieldError {
    let message = err.to_string();
    // serde_json appends " at line 1 column 9": true but useless to a client.
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(name) = rest.strip_suffix('`')
    {
        let field = if path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return FieldError::new(field, "is required");
    }
    let field = if path == "." {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    FieldError::new(field, message)
}

/// A path parameter of the route (`{id}`). A missing one means the route does not match.
pub fn path_param<'r>(request: &'r Request, name: &str) -> Result<&'r str, ApiError> {
    request
        .path_parameters_ref()
        .and_then(|params| params.first(name))
        .filter(|value| !value.is_empty())
        .ok_or(ApiError::NotFound)
}

/// A typed query parameter: absent is `None`, unparsable is `400 validation_failed`.
pub fn query_param<T>(request: &Request, name: &str) -> Result<Option<T>, ApiError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let Some(raw) = request
        .query_string_parameters_ref()
        .and_then(|params| params.first(name))
    else {
        return Ok(None);
    };
    raw.parse()
        .map(Some)
        .map_err(|err| ApiError::validation(name, format!("{err}")))
}

/// `?limit=&cursor=` of a paginated listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<String>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u32 = 20;
    pub const MAX_LIMIT: u32 = 100;

    pub fn from_request(request: &Request) -> Result<Self, ApiError> {
        let limit = match query_param::<u32>(request, "limit") {
            Ok(Some(limit)) if (1..=Self::MAX_LIMIT).contains(&limit) => limit,
            Ok(None) => Self::DEFAULT_LIMIT,
            _ => {
                return Err(ApiError::validation(
                    "limit",
                    format!("must be a whole number from 1 to {}", Self::MAX_LIMIT),
                ));
            }
        };
        let cursor = request
            .query_string_parameters_ref()
            .and_then(|params| params.first("cursor"))
            .map(str::to_owned);
        Ok(Self { limit, cursor })
    }
}

/// One page of a listing, as every listing returns it.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> HandlerResult {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Binary(body))
        .map_err(ApiError::internal)
}

/// A strong ETag of a representation (a product, a page of products).
pub fn etag<T: Serialize>(representation: &T) -> String {
    let bytes = serde_json::to_vec(representation).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether an `If-None-Match` / `If-Match` header lists `etag` (or is `*`).
pub fn etag_matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// A cacheable JSON read: `ETag` and `Cache-Control`, and `304 Not Modified` when the client's
/// `If-None-Match` already has this representation. Requests with a token are `private`: what an
/// admin sees must not land in a shared cache.
pub fn cacheable_json<T: Serialize>(request: &Request, etag: &str, value: &T) -> HandlerResult {
    let cache_control = if request.headers().contains_key(header::AUTHORIZATION) {
        "private, no-cache"
    } else {
        "public, max-age=60"
    };
    let not_modified =
        header_str(request, header::IF_NONE_MATCH).is_some_and(|h| etag_matches(h, etag));
    let mut response = if not_modified {
        empty(StatusCode::NOT_MODIFIED)?
    } else {
        json(StatusCode::OK, value)?
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    Ok(response)
}

/// A JSON response that no cache may keep (tokens, RFC 6749 §5.1).
pub fn json_no_store<T: Serialize>(status: StatusCode, value: &T) -> HandlerResult {
    let mut response = json(status, value)?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A response with no body.
pub fn empty(status: StatusCode) -> HandlerResult {
    Response::builder()
        .status(status)
        .body(Body::Empty)
        .map_err(ApiError::internal)
}

/// `204 No Content`.
pub fn no_content() -> HandlerResult {
    empty(StatusCode::NO_CONTENT)
}

/// The problem response of an error (RFC 9457, `application/problem+json`).
pub fn problem(err: &ApiError) -> Response<Body> {
    let body = serde_json::to_vec(&err.problem()).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Body::Binary(body));
    *response.status_mut() =
        StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    for (name, value) in err.headers() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// The sample event the fixture's echo function is invoked with, with its body replaced.
    fn request_with_body(content_type: Option<&str>, body: &str) -> Request {
        let mut headers = serde_json::Map::new();
        if let Some(ct) = content_type {
            headers.insert("content-type".into(), ct.into());
        }
        headers.insert("origin".into(), "http://localhost:5173".into());
        let event = serde_json::json!({
            "version": "2.0",
            "routeKey": "POST /things",
            "rawPath": "/things",
            "rawQueryString": "",
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012", "apiId": "local", "domainName": "localhost",
                "domainPrefix": "localhost", "requestId": "req-123", "routeKey": "POST /things",
                "stage": "$default", "time": "21/Nov/2026:10:15:00 +0000", "timeEpoch": 0,
                "http": {"method": "POST", "path": "/things", "protocol": "HTTP/1.1",
                         "sourceIp": "127.0.0.1", "userAgent": "test"}
            },
            "body": body,
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string())
            .unwrap_or_else(|e| panic!("sample event does not parse: {e}"))
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        product_id: String,
        quantity: u32,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Order {
        items: Vec<Item>,
    }

    fn config() -> Config {
        Config::from_lookup(|_| Some("http://localhost:5173".to_owned()))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn through_wrapper(request: Request) -> Response<Body> {
        respond(&config(), request, |req: Request| async move {
            let order: Order = json_body(&req)?;
            json(
                StatusCode::CREATED,
                &serde_json::json!({"lines": order.items.len()}),
            )
        })
        .await
    }

    fn body_json(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).unwrap_or_default()
    }

    #[tokio::test]
    async fn malformed_json_is_a_400_problem_with_cors_and_request_id() {
        let response =
            through_wrapper(request_with_body(Some("application/json"), "{\"items\": [")).await;
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(response.headers()["x-request-id"], "req-123");
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "http://localhost:5173"
        );
        assert_eq!(body_json(&response)["code"], "malformed_json");
    }

    #[tokio::test]
    async fn a_wrong_type_names_the_field() {
        let body = r#"{"items": [{"product_id": "p1", "quantity": 1}, {"product_id": "p2", "quantity": "two"}]}"#;
        let response = through_wrapper(request_with_body(Some("application/json"), body)).await;
        assert_eq!(response.status(), 400);
        let problem = body_json(&response);
        assert_eq!(problem["code"], "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "items[1].quantity");
    }

    #[tokio::test]
    async fn a_missing_field_is_named() {
        let body = r#"{"items": [{"quantity": 1}]}"#;
        let response = through_wrapper(request_with_body(Some("application/json"), body)).await;
        let problem = body_json(&response);
        assert_eq!(problem["errors"][0]["field"], "items[0].product_id");
        assert_eq!(problem["errors"][0]["message"], "is required");
    }

    #[tokio::test]
    async fn a_body_over_64_kib_is_a_413() {
        let body = format!(r#"{{"items": [], "pad": "{}"}}"#, "x".repeat(65 * 1024));
        let response = through_wrapper(request_with_body(Some("application/json"), &body)).await;
        assert_eq!(response.status(), 413);
        assert_eq!(body_json(&response)["code"], "payload_too_large");
    }

    #[tokio::test]
    async fn a_body_that_is_not_json_by_content_type_is_a_415() {
        let response = through_wrapper(request_with_body(Some("text/plain"), "{}")).await;
        assert_eq!(response.status(), 415);
        let response = through_wrapper(request_with_body(None, "{}")).await;
        assert_eq!(response.status(), 415);
    }

    #[tokio::test]
    async fn json_with_a_charset_and_trailing_garbage() {
        let ok = through_wrapper(request_with_body(
            Some("application/json; charset=utf-8"),
            r#"{"items": []}"#,
        ))
        .await;
        assert_eq!(ok.status(), 201);
        let trailing = through_wrapper(request_with_body(
            Some("application/json"),
            r#"{"items": []} {"#,
        ))
        .await;
        assert_eq!(trailing.status(), 400);
        assert_eq!(body_json(&trailing)["code"], "malformed_json");
    }

    #[tokio::test]
    async fn an_empty_body_is_malformed() {
        let response = through_wrapper(request_with_body(Some("application/json"), "")).await;
        assert_eq!(body_json(&response)["code"], "malformed_json");
    }

    #[tokio::test]
    async fn a_base64_body_is_decoded_before_parsing() {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(r#"{"items": []}"#);
        let mut event: serde_json::Value = serde_json::json!({
            "version": "2.0", "routeKey": "POST /things", "rawPath": "/things",
            "rawQueryString": "", "headers": {"content-type": "application/json"},
            "requestContext": {"http": {"method": "POST", "path": "/things"}, "requestId": "r1"},
            "isBase64Encoded": true
        });
        event["body"] = encoded.into();
        let request =
            lambda_http::request::from_str(&event.to_string()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(through_wrapper(request).await.status(), 201);
    }

    #[test]
    fn etags_match_lists_and_stars() {
        assert!(etag_matches("\"abc\"", "\"abc\""));
        assert!(etag_matches("\"x\", W/\"abc\"", "\"abc\""));
        assert!(etag_matches("*", "\"abc\""));
        assert!(!etag_matches("\"abd\"", "\"abc\""));
        assert_eq!(
            etag(&serde_json::json!({"a": 1})),
            etag(&serde_json::json!({"a": 1}))
        );
        assert_ne!(
            etag(&serde_json::json!({"a": 1})),
            etag(&serde_json::json!({"a": 2}))
        );
    }

    #[test]
    fn the_page_limit_is_checked() {
        let with_query = |query: &str| {
            let event = serde_json::json!({
                "version": "2.0", "routeKey": "GET /things", "rawPath": "/things",
                "rawQueryString": query,
                "queryStringParameters": query.split('&').filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_owned(), serde_json::Value::from(v)))
                    .collect::<serde_json::Map<_, _>>(),
                "requestContext": {"http": {"method": "GET", "path": "/things"}},
                "isBase64Encoded": false
            });
            let request = lambda_http::request::from_str(&event.to_string())
                .unwrap_or_else(|e| panic!("{e}"));
            PageRequest::from_request(&request)
        };
        assert_eq!(with_query("").ok().map(|p| p.limit), Some(20));
        assert_eq!(with_query("limit=100").ok().map(|p| p.limit), Some(100));
        for bad in ["limit=0", "limit=101", "limit=-1", "limit=ten"] {
            assert!(
                matches!(with_query(bad), Err(ApiError::Validation(_))),
                "{bad}"
            );
        }
        let page = with_query("cursor=abc").ok();
        assert_eq!(page.and_then(|p| p.cursor), Some("abc".to_owned()));
    }
}
