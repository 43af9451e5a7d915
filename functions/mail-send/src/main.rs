//! The mail function: takes jobs off the mail queue (SQS), renders each email and sends it
//! through SES. A job that fails is reported back to the queue alone, which retries it and,
//! after the last try, keeps it in the dead-letter queue.

mod handler;

use lambda_runtime::{LambdaEvent, service_fn};
use shared::accounts::Accounts;
use shared::db::Table;
use shared::mail::Mailer;
use shared::orders::emails::OrderMail;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (config, sdk) = shared::start().await?;
    let table = Table::from_config(&sdk, &config)?;
    let (accounts, orders) = (Accounts::new(table.clone(), &config), OrderMail::new(table));
    let mailer = Mailer::from_config(&sdk, &config)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| {
        shared::emf::flushed(handler::handle(&accounts, &orders, &mailer, event.payload))
    }))
    .await
}
