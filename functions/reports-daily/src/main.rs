//! The daily sales report (EventBridge Scheduler, 02:00 UTC): the previous UTC day's orders
//! into `reports/YYYY-MM-DD.csv` and `.json`.

mod handler;

use lambda_runtime::{LambdaEvent, service_fn};
use shared::db::Table;
use shared::reports::Reports;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (config, sdk) = shared::start().await?;
    let reports = Reports::from_config(&sdk, &config, Table::from_config(&sdk, &config)?)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<handler::ScheduledRun>| {
        shared::emf::flushed(handler::report(&reports, event.payload))
    }))
    .await
}
