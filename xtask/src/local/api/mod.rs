//! The local HTTP API: what API Gateway (HTTP API, payload format 2.0) does in front of the
//! functions. It routes by the template's `HttpApi` events, turns each request into the v2 event
//! Lambda would deliver, runs the route's function, and turns its reply back into HTTP.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use aws_lambda_events::apigw::{
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use shared::routes::decode_segment;
use time::OffsetDateTime;
use tokio::net::TcpListener;

use crate::local::lambda::{Outcome, Pool};
use crate::local::server::Body;
use crate::local::template::{ACCOUNT_ID, Event, Template};
use crate::logs::emit;

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
        for (function, event) in template.events() {
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
            let Some(params) = shared::routes::path_parameters(&route.template, path) else {
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

/// What the API server needs to answer.
pub struct Api {
    pub router: Router,
    pub pools: BTreeMap<String, Arc<Pool>>,
    /// The API's document and its readable page, served locally only (never deployed).
    pub docs: Option<Docs>,
}

/// `GET /openapi.json` (the project's `openapi.yaml` as JSON) and `GET /docs` (Swagger UI, from
/// npm's `swagger-ui-dist` in `.local/docs`, reading that document).
pub struct Docs {
    pub openapi_json: Bytes,
    /// `swagger-ui-dist`'s folder, if installed.
    pub assets: Option<std::path::PathBuf>,
}

/// The page `/docs` serves: Swagger UI over `/openapi.json`, everything from this server.
const DOCS_PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Storefront API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="api"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: "/openapi.json", dom_id: "#api", deepLinking: true });</script>
</body>
</html>
"##;

impl Docs {
    /// The document beside `template` (`openapi.yaml`), if there is one.
    pub fn beside(template: &std::path::Path) -> anyhow::Result<Option<Self>> {
        let folder = template.parent().unwrap_or(std::path::Path::new("."));
        let Ok(text) = std::fs::read_to_string(folder.join("openapi.yaml")) else {
            return Ok(None);
        };
        let document: Value = serde_norway::from_str(&text)?;
        let assets = crate::tools::Tools::new(folder).swagger_ui();
        Ok(Some(Self {
            openapi_json: Bytes::from(serde_json::to_vec_pretty(&document)?),
            assets,
        }))
    }

    /// The answer to `GET path`, if it is one of the documentation's.
    fn answer(&self, path: &str) -> Option<Response<Body>> {
        let (content_type, body) = match path {
            "/openapi.json" => ("application/json", self.openapi_json.clone()),
            "/docs" | "/docs/" => (
                "text/html; charset=utf-8",
                Bytes::from_static(DOCS_PAGE.as_bytes()),
            ),
            "/docs/swagger-ui.css" | "/docs/swagger-ui-bundle.js" => {
                let file = self
                    .assets
                    .as_ref()?
                    .join(path.trim_start_matches("/docs/"));
                let kind = if path.ends_with(".css") {
                    "text/css"
                } else {
                    "text/javascript"
                };
                (kind, Bytes::from(std::fs::read(file).ok()?))
            }
            _ => return None,
        };
        Response::builder()
            .header("content-type", content_type)
            .body(Full::new(body))
            .ok()
    }
}

pub async fn serve(listener: TcpListener, api: Arc<Api>) {
    crate::local::server::serve(listener, move |peer, request| {
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
    if request.method() == hyper::Method::GET
        && let Some(response) = api
            .docs
            .as_ref()
            .and_then(|docs| docs.answer(request.uri().path()))
    {
        return (response, " · the runner's documentation".to_owned());
    }
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
    let Ok(payload) = serde_json::to_vec(&event) else {
        // A header that is not UTF-8 cannot be put in the JSON event.
        return (
            gateway_error(StatusCode::BAD_REQUEST, "Bad Request", request_id),
            String::new(),
        );
    };
    let invoked = pool.invoke(Bytes::from(payload), request_id).await;
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
) -> ApiGatewayV2httpRequest {
    // API Gateway joins repeated headers with commas and moves `Cookie` into `cookies`.
    let mut joined: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        if name == http::header::COOKIE {
            let text = String::from_utf8_lossy(value.as_bytes());
            cookies.extend(text.split(';').map(|c| c.trim().to_owned()));
            continue;
        }
        let entry = joined.entry(name.as_str()).or_default();
        if !entry.is_empty() {
            entry.push(b',');
        }
        entry.extend_from_slice(value.as_bytes());
    }
    let mut headers = http::HeaderMap::new();
    for (name, value) in joined {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&value),
        ) {
            headers.insert(name, value);
        }
    }
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let mut query: HashMap<String, Vec<String>> = HashMap::new();
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        query
            .entry(decode_segment(key))
            .or_default()
            .push(decode_segment(value));
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let host = header("host").unwrap_or_else(|| "localhost".to_owned());
    let now = OffsetDateTime::now_utc();

    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = parts.method.clone();
    http.path = Some(parts.uri.path().to_owned());
    http.protocol = Some(format!("{:?}", parts.version));
    http.source_ip = Some(peer.ip().to_string());
    http.user_agent = Some(header("user-agent").unwrap_or_default());

    let mut context = ApiGatewayV2httpRequestContext::default();
    context.account_id = Some(ACCOUNT_ID.to_owned());
    context.apiid = Some("local".to_owned());
    context.domain_prefix = host.split('.').next().map(str::to_owned);
    context.domain_name = Some(host);
    context.http = http;
    context.request_id = Some(request_id.to_owned());
    context.route_key = Some(matched.route_key.clone());
    context.stage = Some("$default".to_owned());
    context.time = now
        .format(&time::macros::format_description!(
            "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
        ))
        .ok();
    context.time_epoch = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);

    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".to_owned());
    event.route_key = Some(matched.route_key.clone());
    event.raw_path = Some(parts.uri.path().to_owned());
    event.raw_query_string = Some(raw_query);
    event.cookies = (!cookies.is_empty()).then_some(cookies);
    event.query_string_parameters = query.into();
    event.path_parameters = matched
        .path_parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !body.is_empty() {
        let content_type = header("content-type");
        match std::str::from_utf8(body) {
            Ok(text) if is_text(content_type.as_deref()) => event.body = Some(text.to_owned()),
            _ => {
                event.body = Some(BASE64.encode(body));
                event.is_base64_encoded = true;
            }
        }
    }
    event.headers = headers;
    event.request_context = context;
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
