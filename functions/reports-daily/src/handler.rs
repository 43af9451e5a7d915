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
mod tests;
