//! The Lambda `Invoke` API, as `sam local start-lambda` serves it:
//! `POST /2015-03-31/functions/{name}/invocations`, so `aws lambda invoke --endpoint-url ...`,
//! boto3 and the AWS SDKs can call a function by its logical id.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::json;
use tokio::net::TcpListener;

use crate::local::lambda::{Outcome, Pool, describe};
use crate::local::server::Body;
use crate::logs::{Logs, emit};

/// Lambda's limit on a synchronous invocation's payload.
const MAX_PAYLOAD: usize = 6 * 1024 * 1024;
/// Lambda retries a failed asynchronous invocation twice.
const ASYNC_ATTEMPTS: u32 = 3;

pub struct Invoker {
    pub pools: BTreeMap<String, Arc<Pool>>,
    pub logs: Logs,
}

impl Invoker {
    /// Accepts `Name`, `Name:qualifier` or a function ARN.
    pub fn pool(&self, name: &str) -> Option<&Arc<Pool>> {
        let name = name.rsplit(":function:").next().unwrap_or(name);
        let name = name.split(':').next().unwrap_or(name);
        self.pools.get(name)
    }
}

/// An asynchronous invocation, as Lambda makes one for S3 and EventBridge: retried twice on
/// failure, then given up (on AWS it would go to the function's dead-letter destination).
pub async fn invoke_async(pool: &Pool, logs: &Logs, event: Bytes, source: &str) -> bool {
    for attempt in 1..=ASYNC_ATTEMPTS {
        let request_id = ulid::Ulid::new().to_string();
        let invoked = pool.invoke(event.clone(), &request_id).await;
        let ok = matches!(invoked.outcome, Outcome::Response(_));
        emit(&format!(
            "{source} → {} {} in {:.1} ms{}",
            pool.logical_id(),
            if ok {
                "ok".to_owned()
            } else {
                describe(&invoked.outcome)
            },
            invoked.duration.as_secs_f64() * 1000.0,
            if invoked.cold { " · cold" } else { " · warm" },
        ));
        if ok {
            return true;
        }
        if attempt < ASYNC_ATTEMPTS {
            // Lambda waits a minute, then two; locally a second, then two.
            tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
        }
    }
    logs.runner(&format!(
        "{source}: {} failed {ASYNC_ATTEMPTS} times; the event is dropped (on AWS: dead-letter destination)",
        pool.logical_id()
    ));
    false
}

pub async fn serve(listener: TcpListener, invoker: Arc<Invoker>) {
    crate::local::server::serve(listener, move |_, request| {
        handle(Arc::clone(&invoker), request)
    })
    .await;
}

async fn handle(
    invoker: Arc<Invoker>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let name = match (request.method(), segments.as_slice()) {
        (&Method::POST, ["2015-03-31", "functions", name, "invocations"]) => {
            shared::routes::decode_segment(name)
        }
        _ => {
            return Ok(error(
                StatusCode::NOT_FOUND,
                "UnknownOperationException",
                "Unknown operation",
            ));
        }
    };
    let Some(pool) = invoker.pool(&name).cloned() else {
        return Ok(error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("Function not found: {name}"),
        ));
    };
    let invocation_type = request
        .headers()
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse")
        .to_owned();
    let payload = match Limited::new(request.into_body(), MAX_PAYLOAD)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return Ok(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLargeException",
                "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
            ));
        }
    };
    let payload = if payload.is_empty() {
        Bytes::from_static(b"{}")
    } else {
        payload
    };
    if serde_json::from_slice::<serde_json::Value>(&payload).is_err() {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            "Could not parse request body into json",
        ));
    }
    match invocation_type.as_str() {
        "DryRun" => Ok(empty(StatusCode::NO_CONTENT)),
        "Event" => {
            let logs = invoker.logs.clone();
            tokio::spawn(async move {
                invoke_async(&pool, &logs, payload, "invoke (Event)").await;
            });
            Ok(empty(StatusCode::ACCEPTED))
        }
        "RequestResponse" => {
            let request_id = ulid::Ulid::new().to_string();
            let invoked = pool.invoke(payload, &request_id).await;
            emit(&format!(
                "invoke {} → {} in {:.1} ms{}",
                pool.logical_id(),
                describe(&invoked.outcome),
                invoked.duration.as_secs_f64() * 1000.0,
                if invoked.cold { " · cold" } else { " · warm" },
            ));
            let (body, function_error) = match invoked.outcome {
                Outcome::Response(body) => (body, None),
                Outcome::FunctionError(body) => (body, Some("Unhandled")),
                Outcome::Timeout => (
                    Bytes::from(
                        json!({
                            "errorType": "Sandbox.Timedout",
                            "errorMessage": format!(
                                "Task timed out after {:.2} seconds",
                                pool.timeout().as_secs_f64()
                            ),
                        })
                        .to_string(),
                    ),
                    Some("Unhandled"),
                ),
                Outcome::Crashed(reason) => (
                    Bytes::from(
                        json!({"errorType": "Runtime.ExitError", "errorMessage": reason})
                            .to_string(),
                    ),
                    Some("Unhandled"),
                ),
            };
            let mut response = Response::new(Full::new(body));
            let headers = response.headers_mut();
            headers.insert(
                "content-type",
                http::HeaderValue::from_static("application/json"),
            );
            headers.insert(
                "x-amz-executed-version",
                http::HeaderValue::from_static("$LATEST"),
            );
            if let Ok(value) = http::HeaderValue::from_str(&request_id) {
                headers.insert("x-amzn-requestid", value);
            }
            if let Some(kind) = function_error {
                headers.insert("x-amz-function-error", http::HeaderValue::from_static(kind));
            }
            Ok(response)
        }
        other => Ok(error(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            &format!("Unknown invocation type {other}"),
        )),
    }
}

fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// An error in the Lambda API's own shape (`x-amzn-ErrorType` and a JSON message).
fn error(status: StatusCode, kind: &'static str, message: &str) -> Response<Body> {
    let body = json!({"Type": "User", "message": message}).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("x-amzn-errortype", http::HeaderValue::from_static(kind));
    response.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    response
}
