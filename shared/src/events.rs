//! Functions started by an event rather than an HTTP request (a queue, an S3 upload, a
//! schedule): the same shape as an API function, a state built at cold start and a handler of
//! the state and the event; the metrics it counted are written out after every invocation.

use std::future::Future;

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What an event handler fails with: the invocation fails and Lambda retries it.
pub type Error = lambda_runtime::Error;

/// A handler of an event function; implemented by every
/// `async fn(&State, LambdaEvent<E>) -> Result<R, Error>` (the trait names the future's type,
/// which borrows the state).
pub trait EventHandler<'s, S: 's, E>: Fn(&'s S, LambdaEvent<E>) -> Self::Done {
    type Reply: Serialize;
    type Done: Future<Output = Result<Self::Reply, Error>> + Send + 's;
}

impl<'s, S: 's, E, R, F, Fut> EventHandler<'s, S, E> for F
where
    F: Fn(&'s S, LambdaEvent<E>) -> Fut,
    Fut: Future<Output = Result<R, Error>> + Send + 's,
    R: Serialize,
{
    type Reply = R;
    type Done = Fut;
}

/// Runs an event function: every event goes to `handler` with the function's state.
pub async fn run<S, E, H>(state: S, handler: H) -> Result<(), Error>
where
    S: Sync,
    E: DeserializeOwned + Send,
    H: for<'s> EventHandler<'s, S, E> + Sync,
{
    let (state, handler) = (&state, &handler);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<E>| async move {
        crate::emf::flushed(handler(state, event)).await
    }))
    .await
}

/// What a schedule delivers: `{"time": "<aws.scheduler.scheduled-time>"}`. A job takes the
/// time it was scheduled for as its "now", so a retried run does what was due then.
#[derive(Debug, serde::Deserialize)]
pub struct ScheduledRun {
    time: String,
}

impl ScheduledRun {
    /// The scheduled time; a run whose time is not RFC 3339 fails, named.
    pub fn at(&self) -> Result<time::OffsetDateTime, Error> {
        let format = &time::format_description::well_known::Rfc3339;
        time::OffsetDateTime::parse(&self.time, format)
            .map_err(|e| format!("the run's time {:?} is not RFC 3339: {e}", self.time).into())
    }
}

/// How long an invocation has left before its deadline (`context.deadline`, Unix ms), asked
/// afresh each call: what a job checks before it starts another page.
pub fn time_left(context: &lambda_runtime::Context) -> impl Fn() -> std::time::Duration + use<> {
    let deadline_ms = context.deadline;
    move || {
        let now_ms = u64::try_from(crate::clock::now_ms()).unwrap_or(0);
        std::time::Duration::from_millis(deadline_ms.saturating_sub(now_ms))
    }
}
