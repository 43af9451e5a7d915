//! An emulated Lambda service: each function's processes, kept warm and reused, each talking to
//! its own Runtime API endpoint, exactly as the deployed binary talks to Lambda.
//!
//! An invocation takes an idle process or starts a new one (a cold start), hands it the event
//! through `GET /2018-06-01/runtime/invocation/next`, and waits for its `/response` or `/error`.
//! Requests that overlap get processes of their own, as on Lambda. A process that crashes or
//! overruns its timeout is killed and replaced on the next invocation.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::local::server::{Body, body_bytes};
use crate::local::template::{ACCOUNT_ID, REGION};
use crate::logs::Logs;

/// Lambda gives a function's initialisation up to ten seconds on top of its timeout.
const INIT_ALLOWANCE: Duration = Duration::from_secs(10);
/// Processes one function may run at once locally (Lambda's own limit is far higher).
const MAX_INSTANCES: usize = 32;

/// What a process is started with.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub logical_id: String,
    pub executable: PathBuf,
    pub environment: Vec<(String, String)>,
    pub timeout: Duration,
    pub memory_mb: u64,
}

/// How one invocation ended.
#[derive(Debug)]
pub enum Outcome {
    /// The function's `/response` body.
    Response(Bytes),
    /// The function's `/error` body (`{"errorType", "errorMessage"}`).
    FunctionError(Bytes),
    /// The process overran the function's timeout and was killed.
    Timeout,
    /// The process exited, or could not start.
    Crashed(String),
}

#[derive(Debug)]
pub struct Invoked {
    pub outcome: Outcome,
    /// Whether a new process had to be started.
    pub cold: bool,
    /// Process start to its first `/next`, for a cold start.
    pub init: Option<Duration>,
    /// Event handed over to reply received.
    pub duration: Duration,
}

/// The processes of one function.
pub struct Pool {
    spec: FunctionSpec,
    idle: Mutex<Vec<Instance>>,
    slots: Semaphore,
    next_instance: AtomicU64,
    logs: Logs,
}

impl Pool {
    pub fn new(spec: FunctionSpec, logs: Logs) -> Self {
        Self {
            spec,
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(MAX_INSTANCES),
            next_instance: AtomicU64::new(1),
            logs,
        }
    }

    pub fn logical_id(&self) -> &str {
        &self.spec.logical_id
    }

    pub fn timeout(&self) -> Duration {
        self.spec.timeout
    }

    /// Runs one invocation to its end.
    pub async fn invoke(&self, payload: Bytes, request_id: &str) -> Invoked {
        let Ok(_slot) = self.slots.acquire().await else {
            return crashed("the pool is closed");
        };
        let (mut instance, cold) = match self.take_idle() {
            Some(instance) => (instance, false),
            None => match self.spawn().await {
                Ok(instance) => (instance, true),
                Err(err) => return crashed(&format!("{err:#}")),
            },
        };
        let (reply_tx, reply_rx) = oneshot::channel();
        let deadline = SystemTime::now() + self.spec.timeout;
        let pending = Pending {
            request_id: request_id.to_owned(),
            payload,
            deadline_ms: deadline
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or_default(),
            reply: reply_tx,
        };
        let started = Instant::now();
        if instance.queue.send(pending).await.is_err() {
            return crashed("the process's Runtime API is gone");
        }
        let limit = self.spec.timeout + if cold { INIT_ALLOWANCE } else { Duration::ZERO };
        let outcome = tokio::select! {
            reply = reply_rx => match reply {
                Ok(Reply::Response(body)) => Outcome::Response(body),
                Ok(Reply::Error(body)) => Outcome::FunctionError(body),
                Err(_) => Outcome::Crashed("the process dropped the invocation".to_owned()),
            },
            status = instance.child.wait() => Outcome::Crashed(match status {
                Ok(status) => format!("the process exited ({status}) {}", instance.state.init_error()),
                Err(err) => format!("the process could not be waited for: {err}"),
            }),
            () = tokio::time::sleep(limit) => Outcome::Timeout,
        };
        let duration = started.elapsed();
        let init = cold.then(|| instance.state.init_duration()).flatten();
        if matches!(outcome, Outcome::Response(_) | Outcome::FunctionError(_)) {
            if let Ok(mut idle) = self.idle.lock() {
                idle.push(instance);
            }
        } else {
            self.logs.runner(&format!(
                "{}: instance {} stopped: {}",
                self.spec.logical_id,
                instance.number,
                describe(&outcome)
            ));
        }
        Invoked {
            outcome,
            cold,
            init,
            duration,
        }
    }

    /// An idle process that is still alive.
    fn take_idle(&self) -> Option<Instance> {
        let mut idle = self.idle.lock().ok()?;
        while let Some(mut instance) = idle.pop() {
            if matches!(instance.child.try_wait(), Ok(None)) {
                return Some(instance);
            }
        }
        None
    }

    /// The process ids of the idle processes (for measurements).
    pub fn idle_pids(&self) -> Vec<u32> {
        self.idle
            .lock()
            .map(|idle| idle.iter().filter_map(|i| i.child.id()).collect())
            .unwrap_or_default()
    }

    /// Kills every idle process (the busy ones die with their invocation's task).
    pub fn shutdown(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
        self.slots.close();
    }

    async fn spawn(&self) -> Result<Instance> {
        let number = self.next_instance.fetch_add(1, Ordering::Relaxed);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot open a Runtime API port")?;
        let address = listener.local_addr()?;
        let (queue_tx, queue_rx) = mpsc::channel(1);
        let state = Arc::new(RuntimeState {
            queue: tokio::sync::Mutex::new(queue_rx),
            in_flight: Mutex::new(HashMap::new()),
            function_arn: format!(
                "arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{}",
                self.spec.logical_id
            ),
            spawned_at: Instant::now(),
            first_next: Mutex::new(None),
            init_error: Mutex::new(None),
        });
        let server = tokio::spawn(serve_runtime_api(listener, Arc::clone(&state)));
        let log_stream = format!("local/{}/{number}", self.spec.logical_id);
        let mut child = Command::new(&self.spec.executable)
            .env_clear()
            .envs(self.spec.environment.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.spec.logical_id)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                self.spec.memory_mb.to_string(),
            )
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", self.spec.logical_id),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", log_stream)
            .env("AWS_REGION", REGION)
            .env("AWS_DEFAULT_REGION", REGION)
            .env("TZ", ":UTC")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {} ({}); was it built?",
                    self.spec.logical_id,
                    self.spec.executable.display()
                )
            })?;
        let label = format!("{}#{number}", self.spec.logical_id);
        if let Some(stdout) = child.stdout.take() {
            forward_lines(stdout, self.logs.clone(), label.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            forward_lines(stderr, self.logs.clone(), label);
        }
        Ok(Instance {
            number,
            child,
            queue: queue_tx,
            state,
            server,
        })
    }
}

fn crashed(reason: &str) -> Invoked {
    Invoked {
        outcome: Outcome::Crashed(reason.to_owned()),
        cold: false,
        init: None,
        duration: Duration::ZERO,
    }
}

pub fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Response(_) => "ok".to_owned(),
        Outcome::FunctionError(body) => {
            format!("function error {}", String::from_utf8_lossy(body))
        }
        Outcome::Timeout => "timed out".to_owned(),
        Outcome::Crashed(reason) => format!("crashed: {reason}"),
    }
}

fn forward_lines<R>(reader: R, logs: Logs, label: String)
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut lines = BufReader::new(reader).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            logs.function(&label, &line);
        }
    });
}

/// One running process of a function.
struct Instance {
    number: u64,
    child: Child,
    queue: mpsc::Sender<Pending>,
    state: Arc<RuntimeState>,
    server: JoinHandle<()>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        // `kill_on_drop` ends the process; the Runtime API goes with it.
        self.server.abort();
    }
}

struct Pending {
    request_id: String,
    payload: Bytes,
    deadline_ms: u64,
    reply: oneshot::Sender<Reply>,
}

enum Reply {
    Response(Bytes),
    Error(Bytes),
}

/// The Runtime API of one process.
struct RuntimeState {
    queue: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    in_flight: Mutex<HashMap<String, oneshot::Sender<Reply>>>,
    function_arn: String,
    spawned_at: Instant,
    first_next: Mutex<Option<Instant>>,
    init_error: Mutex<Option<String>>,
}

impl RuntimeState {
    fn init_duration(&self) -> Option<Duration> {
        let first = (*self.first_next.lock().ok()?)?;
        Some(first - self.spawned_at)
    }

    fn init_error(&self) -> String {
        self.init_error
            .lock()
            .ok()
            .and_then(|e| e.clone())
            .map(|e| format!("after an init error: {e}"))
            .unwrap_or_default()
    }
}

async fn serve_runtime_api(listener: TcpListener, state: Arc<RuntimeState>) {
    crate::local::server::serve(listener, move |_, request| {
        runtime_request(Arc::clone(&state), request)
    })
    .await;
}

async fn runtime_request(
    state: Arc<RuntimeState>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let response = match (method, segments.as_slice()) {
        (Method::GET, ["2018-06-01", "runtime", "invocation", "next"]) => next(&state).await,
        (Method::POST, ["2018-06-01", "runtime", "invocation", id, kind]) => {
            let id = (*id).to_owned();
            let kind = (*kind).to_owned();
            let body = body_bytes(request).await;
            let sender = state.in_flight.lock().ok().and_then(|mut m| m.remove(&id));
            match (kind.as_str(), sender) {
                ("response", Some(sender)) => {
                    let _ = sender.send(Reply::Response(body));
                    status(StatusCode::ACCEPTED)
                }
                ("error", Some(sender)) => {
                    let _ = sender.send(Reply::Error(body));
                    status(StatusCode::ACCEPTED)
                }
                (_, None) => status(StatusCode::BAD_REQUEST),
                _ => status(StatusCode::NOT_FOUND),
            }
        }
        (Method::POST, ["2018-06-01", "runtime", "init", "error"]) => {
            let body = body_bytes(request).await;
            if let Ok(mut slot) = state.init_error.lock() {
                *slot = Some(String::from_utf8_lossy(&body).into_owned());
            }
            status(StatusCode::ACCEPTED)
        }
        _ => status(StatusCode::NOT_FOUND),
    };
    Ok(response)
}

async fn next(state: &RuntimeState) -> Response<Body> {
    if let Ok(mut first) = state.first_next.lock() {
        first.get_or_insert_with(Instant::now);
    }
    let pending = state.queue.lock().await.recv().await;
    let Some(pending) = pending else {
        return status(StatusCode::GONE);
    };
    if let Ok(mut in_flight) = state.in_flight.lock() {
        in_flight.insert(pending.request_id.clone(), pending.reply);
    }
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &pending.request_id)
        .header(
            "lambda-runtime-deadline-ms",
            pending.deadline_ms.to_string(),
        )
        .header("lambda-runtime-invoked-function-arn", &state.function_arn)
        .header(
            "lambda-runtime-trace-id",
            format!(
                "Root=1-{:08x}-{};Parent=0000000000000000;Sampled=0",
                pending.deadline_ms / 1000,
                &ulid::Ulid::new().to_string().to_ascii_lowercase()[..24]
            ),
        )
        .body(Full::new(pending.payload))
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
}

fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = code;
    response
}
