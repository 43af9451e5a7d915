//! One run of the report job. The day is the one before the run's scheduled time, so a report
//! can be rebuilt for any day by invoking the function with a time on the day after.

use serde::{Deserialize, Serialize};
use shared::reports::{Reports, day_before};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// What the schedule delivers: `{"time": "<aws.scheduler.scheduled-time>"}`.
#[derive(Debug, Deserialize)]
pub struct ScheduledRun {
    time: String,
}

/// What a run wrote.
#[derive(Debug, Serialize)]
pub struct Written {
    date: String,
    orders: u64,
    products: usize,
}

pub async fn report(reports: &Reports, run: ScheduledRun) -> Result<Written, Error> {
    let time = OffsetDateTime::parse(&run.time, &Rfc3339)
        .map_err(|e| format!("the run's time {:?} is not RFC 3339: {e}", run.time))?;
    let report = reports.write(day_before(time)).await?;
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

    async fn reports() -> Reports {
        let config = testing::config();
        Reports::from_config(
            &testing::unreachable_sdk().await,
            &config,
            testing::table().await,
        )
        .unwrap()
    }

    #[tokio::test]
    async fn the_sample_run_reads_the_orders_and_an_unreachable_table_fails_the_run() {
        let run: ScheduledRun = serde_json::from_str(SAMPLE).unwrap();
        assert!(report(&reports().await, run).await.is_err());
    }

    #[tokio::test]
    async fn a_time_that_is_not_rfc_3339_is_refused() {
        let run = ScheduledRun {
            time: "02:00".into(),
        };
        let err = report(&reports().await, run)
            .await
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("RFC 3339"));
    }
}
