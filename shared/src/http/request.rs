//! Reading a request: its body (size, content type, JSON, every field's problem at once), its
//! query and path parameters.

use http::header;
use lambda_http::{Body, Request, RequestExt};
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde_json::Value;

pub use super::params::{path_id, path_value, query_param};
pub use crate::cursor::PageRequest;
use crate::error::{ApiError, FieldError};

/// Request bodies larger than this are refused with 413 before they are parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// More field problems than this in one body are not worth listing.
const MAX_FIELD_ERRORS: usize = 50;

/// A header's value, if present and readable as text.
pub fn header_str(request: &Request, name: impl header::AsHeaderName) -> Option<&str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The client's IP as API Gateway saw the connection (`requestContext.http.sourceIp`): never a
/// header, which the client could set. A request without it (not from API Gateway) shares one
/// `unknown` address.
pub fn source_ip(request: &Request) -> String {
    match request.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => {
            context.http.source_ip.clone()
        }
        _ => None,
    }
    .filter(|ip| !ip.is_empty())
    .unwrap_or_else(|| "unknown".to_owned())
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

/// The body, checked (JSON content type, size) and parsed into `T`, with the fields in
/// `required` present. Syntax errors give `400 malformed_json`; a body that is JSON but holds
/// wrong values gives `400 validation_failed` naming every field that is wrong, missing or
/// unknown, in the order `T` declares its fields.
pub fn json_body<T: DeserializeOwned>(
    request: &Request,
    required: &[&'static str],
) -> Result<T, ApiError> {
    parse_document(json_bytes(request)?, |_| required.to_vec())
}

/// The body's bytes, if it says it is JSON (else `415`).
fn json_bytes(request: &Request) -> Result<&[u8], ApiError> {
    let bytes = body_bytes(request)?;
    match header_str(request, header::CONTENT_TYPE) {
        Some(value) if is_json_media_type(value) => Ok(bytes),
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// What a route takes as its JSON body, and which of its fields a request must send.
pub trait Input: DeserializeOwned {
    /// The fields that must be present (the others have defaults or are optional).
    const REQUIRED: &'static [&'static str];

    /// The fields this body must have: [`Self::REQUIRED`], or more when some are required
    /// only without others (a product's `sku` without `variants`).
    fn required(body: &Value) -> Vec<&'static str> {
        let _ = body;
        Self::REQUIRED.to_vec()
    }
}

/// The body as the route's [`Input`]: see [`json_body`].
pub fn body<T: Input>(request: &Request) -> Result<T, ApiError> {
    parse_document(json_bytes(request)?, T::required)
}

/// Parses a JSON body into `T`: see [`json_body`].
///
/// A type or value error stops serde at the first field; to name every field, the field it
/// stopped at is noted and taken out of the document, and the rest parsed again.
pub fn parse_json<T: DeserializeOwned>(
    bytes: &[u8],
    required: &[&'static str],
) -> Result<T, ApiError> {
    parse_document(bytes, |_| required.to_vec())
}

/// [`parse_json`], the required fields told by the document.
pub fn parse_document<T: DeserializeOwned>(
    bytes: &[u8],
    required: impl FnOnce(&Value) -> Vec<&'static str>,
) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::MalformedJson("the body is empty".to_owned()));
    }
    let mut document: Value =
        serde_json::from_slice(bytes).map_err(|err| ApiError::MalformedJson(err.to_string()))?;
    let mut errors: Vec<FieldError> = Vec::new();
    // serde would take a struct from an array too (its fields in order): a body is an object.
    if !struct_fields::<T>().is_empty() && !document.is_object() {
        return Err(ApiError::validation("body", "must be a JSON object"));
    }
    let required = required(&document);
    if let Value::Object(fields) = &document {
        for name in required {
            if fields.get(name).is_none_or(Value::is_null) {
                errors.push(FieldError::new(name, "is required"));
            }
        }
    }
    // No field of a request takes `null`: an optional one is left out. serde would read a
    // `null` as "absent", so a client that sends `"active": null` believing it sets something
    // would be told nothing; it is named here instead, and taken out so the rest is checked.
    for path in take_nulls(&mut document, String::new()) {
        if !errors.iter().any(|e| e.field == path) {
            errors.push(FieldError::new(
                path,
                "must not be null (leave the field out)",
            ));
        }
    }
    // Top-level fields taken out because something inside them is wrong: that they are then
    // missing is no news to the client.
    let mut taken_out: Vec<String> = Vec::new();
    let parsed = loop {
        let err = match serde_path_to_error::deserialize::<_, T>(&document) {
            Ok(value) => break Some(value),
            Err(err) => err,
        };
        let path = err.path().to_string();
        let error = data_error(&path, err.inner());
        // The document's top-level field the problem is in, if any, is taken out.
        let top = top_level_field(&path, &error).map(str::to_owned);
        let known =
            errors.iter().any(|e| e.field == error.field) || taken_out.contains(&error.field);
        if !known {
            errors.push(error);
        }
        let removed = match (top, &mut document) {
            (Some(field), Value::Object(fields)) => {
                let removed = fields.remove(&field).is_some();
                taken_out.push(field);
                removed
            }
            _ => false,
        };
        if !removed || errors.len() >= MAX_FIELD_ERRORS {
            break None;
        }
    };
    match parsed {
        Some(value) if errors.is_empty() => Ok(value),
        _ => {
            let order = struct_fields::<T>();
            let rank = |field: &str| {
                let top = field.split(['.', '[']).next().unwrap_or(field);
                order.iter().position(|f| *f == top).unwrap_or(usize::MAX)
            };
            errors.sort_by_key(|e| rank(&e.field));
            Err(ApiError::Validation(errors))
        }
    }
}

/// Removes every `null` member of an object (at any depth) and gives its path
/// (`shipping_address.line2`), as serde would name it; a `null` item of an array in an object
/// is named too (`items[1]`) and left in place, where serde then fails on it at the same path.
fn take_nulls(value: &mut Value, path: String) -> Vec<String> {
    let join = |name: &str| {
        if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let mut found = Vec::new();
    match value {
        Value::Object(fields) => {
            fields.retain(|name, member| {
                let null = member.is_null();
                if null {
                    found.push(join(name));
                }
                !null
            });
            for (name, member) in fields.iter_mut() {
                found.extend(take_nulls(member, join(name)));
            }
        }
        Value::Array(items) if !path.is_empty() => {
            for (index, item) in items.iter_mut().enumerate() {
                let here = format!("{path}[{index}]");
                if item.is_null() {
                    found.push(here);
                } else {
                    found.extend(take_nulls(item, here));
                }
            }
        }
        _ => {}
    }
    found
}

/// The top-level field of the document that an error is about.
fn top_level_field<'a>(path: &'a str, error: &'a FieldError) -> Option<&'a str> {
    if path == "." {
        // An unknown or missing field is reported at the document itself, named in the message.
        return (error.field != "body").then_some(error.field.as_str());
    }
    path.split(['.', '[']).next().filter(|s| !s.is_empty())
}

/// Names the field of a shape error. serde reports missing and unknown fields at their parent's
/// path with the name in the message, so the name is joined on here.
fn data_error(path: &str, err: &serde_json::Error) -> FieldError {
    let message = err.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    let join = |name: &str| {
        if path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some(name) = quoted_after(&message, "missing field `") {
        return FieldError::new(join(name), "is required");
    }
    if let Some(name) = quoted_after(&message, "unknown field `") {
        // Reported at the unknown key itself.
        let field = if path == "." {
            name.to_owned()
        } else {
            path.to_owned()
        };
        return FieldError::new(field, "is not a field of this request");
    }
    let field = if path == "." {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    FieldError::new(field, message)
}

fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// The field names `T` declares, in order, as serde's derive gives them to a deserializer.
fn struct_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("probed"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::http::{json, respond};
    use http::StatusCode;
    use lambda_http::Response;
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
        Config::from_lookup(|name| {
            (name == "CORS_ALLOWED_ORIGINS").then(|| "http://localhost:5173".to_owned())
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn through_wrapper(request: Request) -> Response<Body> {
        respond(&config(), request, |req: Request| async move {
            let order: Order = json_body(&req, &[])?;
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

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Fields {
        name: Option<crate::catalog::model::ProductName>,
        price_cents: Option<crate::catalog::model::Cents>,
        stock: Option<crate::catalog::model::Stock>,
        sku: Option<crate::catalog::model::Sku>,
    }

    fn field_errors(body: &str, required: &[&'static str]) -> Vec<(String, String)> {
        match parse_json::<Fields>(body.as_bytes(), required) {
            Err(ApiError::Validation(errors)) => {
                errors.into_iter().map(|e| (e.field, e.message)).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_wrong_type_beside_bad_values_names_every_field_in_declared_order() {
        let errors = field_errors(
            r#"{"stock": 1.5, "role": "admin", "price_cents": -3, "name": ""}"#,
            &["sku"],
        );
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["name", "price_cents", "stock", "sku", "role"]);
        assert_eq!(errors[2].1, "must be a whole number");
        assert_eq!(errors[3].1, "is required");
        assert_eq!(errors[4].1, "is not a field of this request");
    }

    #[test]
    fn a_null_is_named_not_read_as_absent() {
        let errors = field_errors(
            r#"{"name": null, "stock": 3, "price_cents": null}"#,
            &["name"],
        );
        assert_eq!(
            errors,
            [
                ("name".to_owned(), "is required".to_owned()),
                (
                    "price_cents".to_owned(),
                    "must not be null (leave the field out)".to_owned()
                ),
            ]
        );
        let nested = r#"{"items": [{"product_id": "p1", "quantity": null}, null]}"#;
        let Err(ApiError::Validation(errors)) =
            parse_json::<crate::orders::model::NewOrder>(nested.as_bytes(), &[])
        else {
            panic!("a null item is refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"items[0].quantity"), "{fields:?}");
        assert!(fields.contains(&"items[1]"), "{fields:?}");
        // `items` was taken out to read the rest: it is not reported as missing.
        assert!(!fields.contains(&"items"), "{fields:?}");
    }

    #[test]
    fn a_body_that_is_not_an_object_is_named_as_the_body() {
        let errors = field_errors("[1, 2]", &[]);
        assert_eq!(errors[0].0, "body");
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
