//! One run of the report job. The day is the one before the run's scheduled time, so a report
//! can be rebuilt for any day by invoking the function with a time on the day after.

use lambda_runtime::LambdaEvent;
use serde::Serialize;
use shared::events::{Error, ScheduledRun};
use shared::reports::{Reports, day_before};

shared::state! {
    /// The reports: the orders they read and the bucket they are written to.
    pub struct State { reports: Reports }
}

/// What a run wrote.
#[derive(Debug, Serialize)]
pub struct Written {
    date: String,
    orders: u64,
    products: usize,
}

pub async fn report(s: &State, event: LambdaEvent<ScheduledRun>) -> Result<Written, Error> {
    let day = day_before(event.payload.at()?);
    let report = s.reports.write(day).await?;
    tracing::info!(report.date = %report.date, report.orders = report.orders, "report written");
    Ok(Written {
        date: report.date,
        orders: report.orders,
        products: report.products.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/reports-daily/scheduled.json");

    #[tokio::test]
    async fn a_run_needs_an_rfc_3339_time_and_an_unreachable_table_fails_it() {
        // The sample run reads the orders and an unreachable table fails the run.
        let state = testing::state().await;
        assert!(report(&state, testing::event(SAMPLE)).await.is_err());
        // A time that is not rfc 3339 is refused.
        let event = testing::event(r#"{"time": "02:00"}"#);
        let err = report(&testing::state().await, event).await.err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("RFC 3339"), "{message}");
    }
}
