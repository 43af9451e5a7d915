//! One run of the expiry job. Its "now" is the time the run was scheduled for (the schedule's
//! `<aws.scheduler.scheduled-time>`): a retried run expires what was due then, and the next run
//! catches up. It stops before the invocation's deadline; the next run picks up the rest.

use serde::Deserialize;
use shared::orders::service::{ExpiryRun, Orders};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// What the schedule delivers: `{"time": "<aws.scheduler.scheduled-time>"}`.
#[derive(Debug, Deserialize)]
pub struct ScheduledRun {
    time: String,
}

pub async fn expire(
    orders: &Orders,
    run: ScheduledRun,
    deadline_ms: u64,
) -> Result<ExpiryRun, Error> {
    let now = OffsetDateTime::parse(&run.time, &Rfc3339)
        .map_err(|e| format!("the run's time {:?} is not RFC 3339: {e}", run.time))?
        .unix_timestamp();
    let time_left = || {
        let now_ms = u64::try_from(shared::clock::now_ms()).unwrap_or(0);
        std::time::Duration::from_millis(deadline_ms.saturating_sub(now_ms))
    };
    let done = orders.expire_due(now, time_left).await?;
    tracing::info!(
        orders.expired = done.expired,
        orders.lost_races = done.lost_races,
        orders.skipped = done.skipped,
        stopped_early = done.stopped_early,
        "expiry run"
    );
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/orders-expire/scheduled.json");

    fn far_deadline() -> u64 {
        u64::try_from(shared::clock::now_ms()).unwrap_or(0) + 60_000
    }

    #[tokio::test]
    async fn the_sample_run_reads_the_index_and_an_unreachable_table_fails_the_run() {
        let run: ScheduledRun = serde_json::from_str(SAMPLE).unwrap();
        let orders = testing::orders().await;
        assert!(expire(&orders, run, far_deadline()).await.is_err());
    }

    #[tokio::test]
    async fn a_run_without_time_left_stops_before_reading_anything() {
        let run: ScheduledRun = serde_json::from_str(SAMPLE).unwrap();
        let orders = testing::orders().await;
        let done = expire(&orders, run, 0).await.unwrap();
        assert!(done.stopped_early);
        assert_eq!(done.expired, 0);
    }

    #[tokio::test]
    async fn a_time_that_is_not_rfc_3339_is_refused() {
        let run = ScheduledRun {
            time: "yesterday".into(),
        };
        let orders = testing::orders().await;
        assert!(expire(&orders, run, far_deadline()).await.is_err());
    }
}
