//! The fault doors: loopback proxies between the test stack's functions and a stand-in, which
//! the fault tests close (as if the service had stopped: new connections refused, open ones
//! cut), reopen, make throttle, or make lose their answers, through a control API of their own.
//! One door stands in front of DynamoDB Local, one in front of localstripe.
//!
//! DynamoDB Local never throttles and cannot be stopped without losing its in-memory data, and
//! localstripe cannot be stopped for one function, so these faults are made at the wire, in
//! front of them: every request that passes a door is the stand-in's to answer. The doors are on
//! the functions' side only; the runner, the tests and their own clients reach the stand-ins
//! directly.
//!
//! Control (JSON), at `/<door>` (`/dynamodb`, `/stripe`):
//! - `PUT /<door>` with `{"mode": "open"}`, `{"mode": "closed"}`,
//!   `{"mode": "close_after", "requests": K}` (K requests pass, then the door closes, the next
//!   request's connection cut before it reaches the stand-in),
//!   `{"mode": "throttle", "requests": N}` (the next N requests are answered
//!   `400 ProvisionedThroughputExceededException`, as DynamoDB answers a throttled call, then
//!   requests pass), or `{"mode": "lose_answer", "requests": N}` (the next N requests reach the
//!   stand-in and take effect, and their answers are replaced with a `500`: "after DynamoDB
//!   applied it, before the answer"). With `"app": "<function>"` the mode is that function's
//!   only: the functions' clients name themselves in their user agent (`app/<function name>`;
//!   the AWS SDK's `X-Amz-User-Agent`, the Stripe client's `User-Agent`), and every other
//!   function's calls pass untouched and unrecorded; as the others still connect, the closed
//!   door of one function cuts each of its requests instead of refusing its connections. With
//!   `"operation": "<name>"` the mode is that operation's only (DynamoDB's `TransactWriteItems`,
//!   or the start of a Stripe path, `/v1/refunds`). Setting a mode starts a new record.
//! - `GET /<door>/requests`: every request the door saw since, in order: the operation, the
//!   SDK's invocation id and attempt number (its `amz-sdk-invocation-id` and `amz-sdk-request`
//!   headers), what the door did, and when (ms after the mode was set).
//!
//! Whatever the mode, the DynamoDB door also keeps a ledger of the kinds of call each function
//! made ([`crate::verify::iam::calls`]), which the run holds against the functions' IAM
//! statements.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::{JoinHandle, JoinSet};

use crate::local::server::Body;

/// DynamoDB's answer to a call over the table's throughput, as its JSON protocol sends it.
const THROTTLED: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."}"#;

/// What a caller whose answer was lost is told: DynamoDB's (and, to Stripe's client, any)
/// server error, which the SDK retries.
const LOST: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Open,
    Closed,
    CloseAfter(u64),
    Throttle(u64),
    LoseAnswer(u64),
}

/// A mode, the function it is for (every function's when `None`), and the operation (every
/// operation when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Setting {
    mode: Mode,
    app: Option<String>,
    operation: Option<String>,
}

impl Setting {
    fn parse(body: &[u8]) -> Option<Self> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let requests = value.get("requests").and_then(Value::as_u64);
        let mode = match (value.get("mode")?.as_str()?, requests) {
            ("open", None) => Mode::Open,
            ("closed", None) => Mode::Closed,
            ("close_after", Some(n)) => Mode::CloseAfter(n),
            ("throttle", Some(n)) => Mode::Throttle(n),
            ("lose_answer", Some(n)) => Mode::LoseAnswer(n),
            _ => return None,
        };
        let text = |name: &str| match value.get(name) {
            None => Some(None),
            Some(text) => text.as_str().map(|t| Some(t.to_owned())),
        };
        Some(Self {
            mode,
            app: text("app")?,
            operation: text("operation")?,
        })
    }
}

/// The app a request's client names in its user agent (`app/<name>`): the AWS SDK's, or the
/// shop's Stripe client's.
fn app_of(user_agent: &str) -> &str {
    user_agent
        .split_whitespace()
        .find_map(|part| part.strip_prefix("app/"))
        .unwrap_or("")
}

/// What the door did with a request.
#[derive(Debug, Clone, Copy)]
enum Verdict {
    /// Another function's: passed, not recorded.
    Ignore,
    Pass,
    Throttle,
    Cut,
    /// Passed on and answered, and the answer replaced with a `500`: the call took effect but
    /// its caller does not know it.
    LoseAnswer,
}

impl Verdict {
    fn name(self) -> &'static str {
        match self {
            Self::Ignore | Self::Pass => "passed",
            Self::Throttle => "throttled",
            Self::Cut => "cut",
            Self::LoseAnswer => "answer_lost",
        }
    }
}

struct State {
    mode: Mode,
    app: Option<String>,
    operation: Option<String>,
    since: Instant,
    seen: Vec<Value>,
    /// The accept loop while the door is open; aborting it drops the listener and every
    /// connection it accepted.
    listening: Option<JoinHandle<()>>,
    /// While the door is closed, its port is bound but not listening: a connection is refused,
    /// as with a stopped process, and nothing else can take the port.
    holder: Option<TcpSocket>,
    /// Every kind of call each function made, whatever the mode: what `crate::verify::iam` holds
    /// against the function's policy.
    ledger: BTreeMap<String, BTreeSet<crate::verify::iam::Call>>,
}

struct Shared {
    /// What the door is in front of (`dynamodb`, `stripe`): its control's path.
    name: &'static str,
    address: SocketAddr,
    upstream: String,
    client: Client<HttpConnector, Full<Bytes>>,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub struct Door {
    /// Where the functions reach DynamoDB.
    pub url: String,
    /// The control API.
    pub control_url: String,
    shared: Arc<Shared>,
    control: JoinHandle<()>,
}

impl Door {
    /// An open door to the DynamoDB at `upstream`, and its control API, on free loopback ports.
    pub async fn start(name: &'static str, upstream: &str) -> Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .context("cannot listen for the fault door")?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            name,
            address,
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            state: Mutex::new(State {
                mode: Mode::Open,
                app: None,
                operation: None,
                since: Instant::now(),
                seen: Vec::new(),
                listening: None,
                holder: None,
                ledger: BTreeMap::new(),
            }),
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        shared.state().listening = Some(accept);

        let control_listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .context("cannot listen for the fault door's control")?;
        let control_url = format!("http://{}", control_listener.local_addr()?);
        let for_control = Arc::clone(&shared);
        let control = tokio::spawn(crate::local::server::serve(
            control_listener,
            move |_, request| control(Arc::clone(&for_control), request),
        ));
        Ok(Self {
            url: format!("http://{address}"),
            control_url,
            shared,
            control,
        })
    }

    /// The calls each function made through the door so far.
    pub fn ledger(&self) -> BTreeMap<String, BTreeSet<crate::verify::iam::Call>> {
        self.shared.state().ledger.clone()
    }

    pub fn stop(self) {
        self.control.abort();
        if let Some(listening) = self.shared.state().listening.take() {
            listening.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // Dropped with this task when the door closes: every open connection is cut with it.
    let mut connections = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        connections.spawn(async move {
            let service = service_fn(move |request| forward(Arc::clone(&shared), request));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        while connections.try_join_next().is_some() {}
    }
}

/// Thrown by the service to make hyper drop the connection without an answer.
#[derive(Debug)]
struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the fault door is closed")
    }
}

impl std::error::Error for Cut {}

async fn forward(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Response<Body>, Cut> {
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return Err(Cut);
    };
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    // DynamoDB's operation, or an HTTP API's path (Stripe's).
    let target = header("x-amz-target");
    let operation = match target.rsplit('.').next() {
        Some(op) if !op.is_empty() => op.to_owned(),
        _ => parts.uri.path().to_owned(),
    };
    let attempt = header("amz-sdk-request")
        .split(';')
        .find_map(|part| part.trim().strip_prefix("attempt=")?.parse::<u64>().ok());
    let invocation = header("amz-sdk-invocation-id");
    let agent = match header("x-amz-user-agent") {
        amz if amz.is_empty() => header("user-agent"),
        amz => amz,
    };
    let app = app_of(&agent).to_owned();
    let calls = crate::verify::iam::calls(&operation, &body);

    let verdict = {
        let mut state = shared.state();
        if !app.is_empty() {
            state.ledger.entry(app.clone()).or_default().extend(calls);
        }
        let verdict = match state.mode {
            _ if state
                .app
                .as_deref()
                .is_some_and(|only| only != app.as_str()) =>
            {
                Verdict::Ignore
            }
            _ if state
                .operation
                .as_deref()
                .is_some_and(|only| !operation.starts_with(only)) =>
            {
                Verdict::Ignore
            }
            Mode::Open => Verdict::Pass,
            Mode::Closed | Mode::CloseAfter(0) => Verdict::Cut,
            Mode::CloseAfter(n) => {
                state.mode = Mode::CloseAfter(n - 1);
                Verdict::Pass
            }
            Mode::Throttle(0) => Verdict::Pass,
            Mode::Throttle(n) => {
                state.mode = Mode::Throttle(n - 1);
                Verdict::Throttle
            }
            Mode::LoseAnswer(0) => Verdict::Pass,
            Mode::LoseAnswer(n) => {
                state.mode = Mode::LoseAnswer(n - 1);
                Verdict::LoseAnswer
            }
        };
        if !matches!(verdict, Verdict::Ignore) {
            let seen = json!({
                "app": app,
                "operation": operation,
                "invocation": invocation,
                "attempt": attempt,
            });
            record(&shared, &mut state, verdict, seen);
        }
        verdict
    };
    match verdict {
        Verdict::Cut => Err(Cut),
        Verdict::Throttle => Ok(Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amzn-requestid", ulid::Ulid::new().to_string())
            .body(Full::new(Bytes::from_static(THROTTLED.as_bytes())))
            .unwrap_or_default()),
        Verdict::Pass | Verdict::Ignore => Ok(pass(&shared, parts, body).await),
        Verdict::LoseAnswer => {
            let _applied = pass(&shared, parts, body).await;
            Ok(Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .header("content-type", "application/x-amz-json-1.0")
                .header("x-amzn-requestid", ulid::Ulid::new().to_string())
                .body(Full::new(Bytes::from_static(LOST.as_bytes())))
                .unwrap_or_default())
        }
    }
}

/// Notes what the door did; a cut closes the door.
fn record(shared: &Arc<Shared>, state: &mut State, verdict: Verdict, mut seen: Value) {
    seen["door"] = Value::from(verdict.name());
    seen["at_ms"] = Value::from(u64::try_from(state.since.elapsed().as_millis()).unwrap_or(0));
    state.seen.push(seen);
    if matches!(verdict, Verdict::Cut) && state.mode != Mode::Closed {
        state.mode = Mode::Closed;
        if state.app.is_none() && state.operation.is_none() {
            // Not from this connection's own task, which closing aborts.
            let shared = Arc::clone(shared);
            tokio::spawn(async move { close(&shared).await });
        }
    }
}

/// The request, sent on to DynamoDB Local; its answer (`502` if there is none).
async fn pass(shared: &Shared, parts: http::request::Parts, body: Bytes) -> Response<Body> {
    relay(shared, parts, body)
        .await
        .unwrap_or_else(|err| plain(StatusCode::BAD_GATEWAY, &format!("{err:#}")))
}

async fn relay(
    shared: &Shared,
    parts: http::request::Parts,
    body: Bytes,
) -> Result<Response<Body>> {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut upstream = Request::builder()
        .method(parts.method)
        .uri(format!("{}{path}", shared.upstream));
    for (name, value) in &parts.headers {
        upstream = upstream.header(name, value);
    }
    let answer = shared
        .client
        .request(upstream.body(Full::new(body))?)
        .await?;
    let (parts, body) = answer.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Response::from_parts(parts, Full::new(body)))
}

/// Stops listening and cuts every connection; the port stays bound, so connecting is refused.
async fn close(shared: &Shared) {
    let listening = shared.state().listening.take();
    let Some(task) = listening else {
        return;
    };
    task.abort();
    let _ = task.await;
    match hold(shared.address) {
        Ok(holder) => shared.state().holder = Some(holder),
        Err(err) => crate::logs::emit(&format!("fault door: {err:#}")),
    }
}

/// Listens again on the door's port.
fn open(shared: &Arc<Shared>) -> Result<()> {
    let mut state = shared.state();
    if state.listening.is_some() {
        return Ok(());
    }
    let socket = match state.holder.take() {
        Some(socket) => socket,
        None => hold(shared.address)?,
    };
    let listener = socket
        .listen(1024)
        .context("the fault door cannot listen again")?;
    state.listening = Some(tokio::spawn(accept_loop(listener, Arc::clone(shared))));
    Ok(())
}

fn hold(address: SocketAddr) -> Result<TcpSocket> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket
        .bind(address)
        .with_context(|| format!("the fault door cannot keep {address}"))?;
    Ok(socket)
}

async fn control(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mode_path = format!("/{}", shared.name);
    let requests_path = format!("/{}/requests", shared.name);
    let reply = match (method, path.as_str()) {
        (Method::PUT, p) if p == mode_path => {
            let body = crate::local::server::body_bytes(request).await;
            match Setting::parse(&body) {
                Some(setting) => match set(&shared, setting).await {
                    Ok(()) => plain(StatusCode::NO_CONTENT, ""),
                    Err(err) => plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("{err:#}")),
                },
                None => plain(
                    StatusCode::BAD_REQUEST,
                    "expected {\"mode\": \"open\" | \"closed\"} or \
                     {\"mode\": \"close_after\" | \"throttle\" | \"lose_answer\", \"requests\": N}, \
                     with \"app\": \"<function>\" if for one function and \"operation\" if for one \
                     operation",
                ),
            }
        }
        (Method::GET, p) if p == requests_path => {
            let seen = Value::from(shared.state().seen.clone());
            Response::builder()
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(seen.to_string())))
                .unwrap_or_default()
        }
        _ => plain(StatusCode::NOT_FOUND, "no such control"),
    };
    Ok(reply)
}

async fn set(shared: &Arc<Shared>, setting: Setting) -> Result<()> {
    let mode = setting.mode;
    {
        let mut state = shared.state();
        state.mode = mode;
        state.app = setting.app;
        state.operation = setting.operation;
        state.since = Instant::now();
        state.seen.clear();
    }
    match mode {
        // One function's door is closed by cutting each of its requests: the other functions
        // still connect.
        Mode::Closed if shared.state().app.is_none() && shared.state().operation.is_none() => {
            close(shared).await;
            let state = shared.state();
            if state.holder.is_none() || state.listening.is_some() {
                bail!("the fault door did not close");
            }
            Ok(())
        }
        _ => open(shared),
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from(text.to_owned())))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{Mode, Setting, app_of};

    #[test]
    fn settings_are_read_from_their_json() {
        let mode = |json: &str| Setting::parse(json.as_bytes()).map(|s| s.mode);
        assert_eq!(mode(r#"{"mode":"open"}"#), Some(Mode::Open));
        assert_eq!(mode(r#"{"mode":"closed"}"#), Some(Mode::Closed));
        assert_eq!(
            mode(r#"{"mode":"close_after","requests":3}"#),
            Some(Mode::CloseAfter(3))
        );
        assert_eq!(
            mode(r#"{"mode":"throttle","requests":2}"#),
            Some(Mode::Throttle(2))
        );
        assert_eq!(mode(r#"{"mode":"throttle"}"#), None);
        assert_eq!(mode(r#"{"mode":"open","requests":1}"#), None);
        assert_eq!(mode("nonsense"), None);
        let app = |json: &str| Setting::parse(json.as_bytes()).map(|s| s.app);
        assert_eq!(
            app(r#"{"mode":"closed","app":"OrdersCreateFunction"}"#),
            Some(Some("OrdersCreateFunction".to_owned()))
        );
        assert_eq!(app(r#"{"mode":"closed","app":3}"#), None);
        assert_eq!(
            mode(r#"{"mode":"lose_answer","requests":1}"#),
            Some(Mode::LoseAnswer(1))
        );
        let operation = |json: &str| Setting::parse(json.as_bytes()).map(|s| s.operation);
        assert_eq!(
            operation(r#"{"mode":"lose_answer","requests":1,"operation":"TransactWriteItems"}"#),
            Some(Some("TransactWriteItems".to_owned()))
        );
        assert_eq!(operation(r#"{"mode":"closed","operation":[]}"#), None);
    }

    #[test]
    fn the_app_is_read_from_the_user_agent() {
        let agent = "aws-sdk-rust/1.3.9 ua/2.1 api/dynamodb/1.98.0 os/linux lang/rust/1.91.0 \
                     app/OrdersCreateFunction";
        assert_eq!(app_of(agent), "OrdersCreateFunction");
        assert_eq!(app_of("aws-sdk-rust/1.3.9 os/linux"), "");
        assert_eq!(
            app_of("storefront app/RefundsRetryFunction"),
            "RefundsRetryFunction"
        );
    }
}
