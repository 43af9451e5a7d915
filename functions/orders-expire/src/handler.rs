//! One run of the expiry job. Its "now" is the time the run was scheduled for (the schedule's
//! `<aws.scheduler.scheduled-time>`): a retried run expires what was due then, and the next run
//! catches up. It stops before the invocation's deadline; the next run picks up the rest.

use lambda_runtime::LambdaEvent;
use shared::events::{Error, ScheduledRun};
use shared::orders::service::{ExpiryRun, Orders};
use shared::payments::stripe::Stripe;

shared::state! {
    /// The orders, and Stripe to withdraw the payments of the orders that expire.
    pub struct State { orders: Orders, stripe: Stripe }
}

pub async fn expire(s: &State, event: LambdaEvent<ScheduledRun>) -> Result<ExpiryRun, Error> {
    let now = event.payload.at()?.unix_timestamp();
    let time_left = shared::events::time_left(&event.context);
    let done = s.orders.expire_due(now, &s.stripe, time_left).await?;
    tracing::info!(
        orders.expired = done.expired,
        orders.lost_races = done.lost_races,
        orders.skipped = done.skipped,
        stopped_early = done.stopped_early,
        stripe_down = done.provider_down,
        "expiry run"
    );
    Ok(done)
}

#[cfg(test)]
mod tests;
