//! The local HTTP API: what API Gateway (HTTP API, payload format 2.0) does in front of the
//! functions. It routes by the template's `HttpApi` events, turns each request into the v2 event
//! Lambda would deliver, runs the route's function, and turns its reply back into HTTP.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::net::TcpListener;

use crate::lambda::{Outcome, Pool};
use crate::logs::emit;
use crate::server::Body;
use crate::template::{ACCOUNT_ID, Event, Template};

/// API Gateway's own limit on a request's payload.
const MAX_PAYLOAD: usize = 10 * 1024 * 1024;

/// Routes in API Gateway's order of precedence.
#[derive(Debug, Clone)]
pub struct Router {
    routes: Vec<Route>,
    default: Option<String>,
}

#[derive(Debug, Clone)]
struct Route {
    /// Upper-case method, or `None` for `ANY`.
    method: Option<String>,
    template: String,
    function: String,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Matched {
    pub route_key: String,
    pub function: String,
    pub path_parameters: BTreeMap<String, String>,
}

impl Router {
    pub fn from_template(template: &Template) -> Self {
        let mut routes = Vec::new();
        let mut default = None;
        for function in &template.functions {
            for event in &function.events {
                let Event::Http { method, path, .. } = event else {
                    continue;
                };
                match (method, path) {
                    (None, None) => default = Some(function.logical_id.clone()),
                    _ if path.as_deref() == Some("$default") => {
                        default = Some(function.logical_id.clone());
                    }
                    _ => routes.push(Route {
                        method: method
                            .as_deref()
                            .map(str::to_ascii_uppercase)
                            .filter(|m| m != "ANY"),
                        template: path.clone().unwrap_or_else(|| "/".to_owned()),
                        function: function.logical_id.clone(),
                    }),
                }
            }
        }
        Self { routes, default }
    }

    /// The route a request takes: the most specific match (literal segments over variables over
    /// a greedy `{proxy+}`; a named method over `ANY`), else `$default`.
    pub fn route(&self, method: &str, path: &str) -> Option<Matched> {
        let mut best: Option<((usize, usize, usize, bool), Matched)> = None;
        for route in &self.routes {
            if route.method.as_deref().is_some_and(|m| m != method) {
                continue;
            }
            let Some(params) = match_path(&route.template, path) else {
                continue;
            };
            let segments: Vec<&str> = route.template.trim_matches('/').split('/').collect();
            let greedy = segments.iter().filter(|s| s.ends_with("+}")).count();
            let variables = segments.iter().filter(|s| s.starts_with('{')).count();
            let rank = (
                greedy,
                variables,
                usize::MAX - segments.len(),
                route.method.is_none(),
            );
            if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                let method_key = route.method.as_deref().unwrap_or("ANY");
                best = Some((
                    rank,
                    Matched {
                        route_key: format!("{method_key} {}", route.template),
                        function: route.function.clone(),
                        path_parameters: params,
                    },
                ));
            }
        }
        best.map(|(_, m)| m).or_else(|| {
            self.default.as_ref().map(|function| Matched {
                route_key: "$default".to_owned(),
                function: function.clone(),
                path_parameters: BTreeMap::new(),
            })
        })
    }
}

fn match_path(template: &str, path: &str) -> Option<BTreeMap<String, String>> {
    let pattern: Vec<&str> = template.trim_matches('/').split('/').collect();
    let actual: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut params = BTreeMap::new();
    for (i, segment) in pattern.iter().enumerate() {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
            let rest = actual.get(i..)?.join("/");
            if rest.is_empty() {
                return None;
            }
            params.insert(name.to_owned(), percent_decode(&rest));
            return Some(params);
        }
        let value = actual.get(i)?;
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if value.is_empty() {
                return None;
            }
            params.insert(name.to_owned(), percent_decode(value));
        } else if segment != value {
            return None;
        }
    }
    (pattern.len() == actual.len()).then_some(params)
}

/// Decodes `%XX` escapes; anything malformed is kept as it is.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the API server needs to answer.
pub struct Api {
    pub router: Router,
    pub pools: BTreeMap<String, Arc<Pool>>,
}

pub async fn serve(listener: TcpListener, api: Arc<Api>) {
    crate::server::serve(listener, move |peer, request| {
        handle(Arc::clone(&api), peer, request)
    })
    .await;
}

async fn handle(
    api: Arc<Api>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let request_id = ulid::Ulid::new().to_string();
    let (response, served_by) = answer(&api, peer, request, &request_id).await;
    emit(&format!(
        "{method} {path} → {} in {:.1} ms{served_by}",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0,
    ));
    Ok(response)
}

async fn answer(
    api: &Api,
    peer: SocketAddr,
    request: Request<Incoming>,
    request_id: &str,
) -> (Response<Body>, String) {
    let Some(matched) = api
        .router
        .route(request.method().as_str(), request.uri().path())
    else {
        return (
            gateway_error(StatusCode::NOT_FOUND, "Not Found", request_id),
            String::new(),
        );
    };
    let Some(pool) = api.pools.get(&matched.function) else {
        return (
            gateway_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                request_id,
            ),
            String::new(),
        );
    };
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_PAYLOAD).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return (
                gateway_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Request Entity Too Large",
                    request_id,
                ),
                String::new(),
            );
        }
    };
    let event = http_event(&parts, &body, &matched, peer, request_id);
    let invoked = pool
        .invoke(Bytes::from(event.to_string()), request_id)
        .await;
    let served_by = format!(
        " · {} · {}",
        matched.function,
        match (invoked.cold, invoked.init) {
            (true, Some(init)) => format!("cold (init {:.1} ms)", init.as_secs_f64() * 1000.0),
            (true, None) => "cold".to_owned(),
            (false, _) => "warm".to_owned(),
        }
    );
    let response = match invoked.outcome {
        Outcome::Response(payload) => from_lambda(&payload, request_id),
        Outcome::Timeout => gateway_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            request_id,
        ),
        Outcome::FunctionError(_) | Outcome::Crashed(_) => gateway_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            request_id,
        ),
    };
    (response, served_by)
}

/// Whether API Gateway passes a body of this type as text rather than base64.
fn is_text(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type.map(str::to_ascii_lowercase) else {
        return false;
    };
    ct.starts_with("text/")
        || ct.starts_with("application/json")
        || ct.contains("+json")
        || ct.starts_with("application/xml")
        || ct.contains("+xml")
        || ct.starts_with("application/x-www-form-urlencoded")
        || ct.starts_with("application/javascript")
}

/// The API Gateway v2 (payload format 2.0) event of a request.
pub fn http_event(
    parts: &http::request::Parts,
    body: &[u8],
    matched: &Matched,
    peer: SocketAddr,
    request_id: &str,
) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == http::header::COOKIE {
            cookies.extend(value.split(';').map(|c| c.trim().to_owned()));
            continue;
        }
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|existing| {
                existing.push(',');
                existing.push_str(&value);
            })
            .or_insert(value);
    }
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        query
            .entry(percent_decode(key))
            .and_modify(|existing| {
                existing.push(',');
                existing.push_str(&percent_decode(value));
            })
            .or_insert_with(|| percent_decode(value));
    }
    let now = OffsetDateTime::now_utc();
    let user_agent = headers.get("user-agent").cloned().unwrap_or_default();
    let host = headers
        .get("host")
        .cloned()
        .unwrap_or_else(|| "localhost".to_owned());
    let mut event = json!({
        "version": "2.0",
        "routeKey": matched.route_key,
        "rawPath": parts.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or(&host),
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": format!("{:?}", parts.version),
                "sourceIp": peer.ip().to_string(),
                "userAgent": user_agent,
            },
            "requestId": request_id,
            "routeKey": matched.route_key,
            "stage": "$default",
            "time": now.format(&time::macros::format_description!(
                "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
            )).unwrap_or_default(),
            "timeEpoch": (now.unix_timestamp_nanos() / 1_000_000) as i64,
        },
        "isBase64Encoded": false,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = json!(query);
    }
    if !matched.path_parameters.is_empty() {
        event["pathParameters"] = json!(matched.path_parameters);
    }
    if !body.is_empty() {
        let content_type = headers.get("content-type").map(String::as_str);
        match std::str::from_utf8(body) {
            Ok(text) if is_text(content_type) => event["body"] = json!(text),
            _ => {
                event["body"] = json!(BASE64.encode(body));
                event["isBase64Encoded"] = json!(true);
            }
        }
    }
    event
}

/// A function's reply (payload format 2.0) as an HTTP response.
pub fn from_lambda(payload: &[u8], request_id: &str) -> Response<Body> {
    let Ok(value) = serde_json::from_slice::<Value>(payload) else {
        return gateway_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            request_id,
        );
    };
    let structured = value.as_object().filter(|o| o.contains_key("statusCode"));
    let Some(reply) = structured else {
        // Without a statusCode, API Gateway takes the whole reply as a 200 JSON body.
        let mut response = Response::new(Full::new(Bytes::copy_from_slice(payload)));
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        add_gateway_headers(&mut response, request_id);
        return response;
    };
    let status = reply
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match reply.get("body") {
        Some(Value::String(text)) if reply.get("isBase64Encoded") == Some(&Value::Bool(true)) => {
            BASE64.decode(text).unwrap_or_default()
        }
        Some(Value::String(text)) => text.clone().into_bytes(),
        _ => Vec::new(),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(map) = reply.get("headers").and_then(Value::as_object) {
        for (name, value) in map {
            let value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                headers.append(name, value);
            }
        }
    }
    for cookie in reply
        .get("cookies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(Ok(value)) = cookie.as_str().map(HeaderValue::from_str) {
            headers.append(http::header::SET_COOKIE, value);
        }
    }
    add_gateway_headers(&mut response, request_id);
    response
}

fn add_gateway_headers(response: &mut Response<Body>, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("apigw-requestid"), value);
    }
}

/// An answer API Gateway gives itself, in its own shape.
fn gateway_error(status: StatusCode, message: &str, request_id: &str) -> Response<Body> {
    let body = json!({ "message": message }).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    add_gateway_headers(&mut response, request_id);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        let yaml = r#"
Resources:
  Products:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: f/products
      Events:
        List: { Type: HttpApi, Properties: { Path: /products, Method: GET } }
        One: { Type: HttpApi, Properties: { Path: "/products/{id}", Method: GET } }
  Special:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: f/special
      Events:
        Featured: { Type: HttpApi, Properties: { Path: /products/featured, Method: GET } }
        Files: { Type: HttpApi, Properties: { Path: "/files/{proxy+}", Method: ANY } }
  Fallback:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: f/fallback
      Events:
        Default: { Type: HttpApi }
"#;
        let template =
            Template::parse(yaml, &Default::default()).unwrap_or_else(|e| panic!("{e:#}"));
        Router::from_template(&template)
    }

    #[test]
    fn literal_routes_win_over_variables() {
        let r = router();
        let featured = r.route("GET", "/products/featured");
        assert_eq!(featured.map(|m| m.function), Some("Special".to_owned()));
        let one = r.route("GET", "/products/01J%20X");
        assert_eq!(
            one.as_ref().map(|m| m.route_key.as_str()),
            Some("GET /products/{id}")
        );
        assert_eq!(
            one.map(|m| m.path_parameters["id"].clone()),
            Some("01J X".to_owned())
        );
    }

    #[test]
    fn unmatched_requests_go_to_the_default_route() {
        let r = router();
        for (method, path) in [
            ("POST", "/products"),
            ("GET", "/nothing"),
            ("GET", "/products/a/b"),
        ] {
            let matched = r.route(method, path);
            assert_eq!(
                matched.map(|m| (m.route_key, m.function)),
                Some(("$default".to_owned(), "Fallback".to_owned())),
                "{method} {path}"
            );
        }
    }

    #[test]
    fn greedy_paths_take_the_rest() {
        let matched = router().route("DELETE", "/files/a/b/c.txt");
        assert_eq!(
            matched.map(|m| (m.route_key, m.path_parameters["proxy"].clone())),
            Some(("ANY /files/{proxy+}".to_owned(), "a/b/c.txt".to_owned()))
        );
    }

    #[test]
    fn a_structured_reply_keeps_status_headers_and_cookies() {
        let payload = json!({
            "statusCode": 201,
            "headers": {"content-type": "application/json", "etag": "\"v1\""},
            "cookies": ["a=1; Secure"],
            "body": "{\"ok\":true}",
            "isBase64Encoded": false
        });
        let response = from_lambda(payload.to_string().as_bytes(), "r1");
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["etag"], "\"v1\"");
        assert_eq!(response.headers()["set-cookie"], "a=1; Secure");
    }

    #[test]
    fn a_bare_reply_is_a_200_json_body() {
        let response = from_lambda(br#"{"hello":"world"}"#, "r1");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
    }
}
