//! The expiry job (EventBridge Scheduler, every 5 minutes): unpaid orders past their
//! `expires_at` become `expired` and give their stock back.

mod handler;

use lambda_runtime::{LambdaEvent, service_fn};
use shared::db::Table;
use shared::orders::service::Orders;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (config, sdk) = shared::start().await?;
    let orders = Orders::new(Table::from_config(&sdk, &config)?, &config);
    lambda_runtime::run(service_fn(|event: LambdaEvent<handler::ScheduledRun>| {
        let deadline = event.context.deadline;
        shared::emf::flushed(handler::expire(&orders, event.payload, deadline))
    }))
    .await
}
