//! One run of the refunds job. Its "now" is the time the run was scheduled for, so a retried run
//! asks for what was due then. It stops before the invocation's deadline; the next run picks up
//! the rest. Two runs at once ask Stripe twice for a refund at most, under one idempotency key:
//! one refund.

use lambda_runtime::LambdaEvent;
use shared::events::{Error, ScheduledRun};
use shared::orders::refunds::RetryRun;
use shared::orders::service::Orders;
use shared::payments::stripe::Stripe;

shared::state! {
    /// The orders (their refunds), and Stripe to ask.
    pub struct State { orders: Orders, stripe: Stripe }
}

pub async fn retry(s: &State, event: LambdaEvent<ScheduledRun>) -> Result<RetryRun, Error> {
    let now = event.payload.at()?.unix_timestamp();
    let time_left = shared::events::time_left(&event.context);
    let done = s.orders.retry_refunds(&s.stripe, now, time_left).await?;
    tracing::info!(
        refunds.succeeded = done.succeeded,
        refunds.settling = done.settling,
        refunds.failed = done.failed,
        refunds.still_due = done.still_due,
        stopped_early = done.stopped_early,
        "refunds run"
    );
    Ok(done)
}

#[cfg(test)]
mod tests;
