//! `POST /auth/password-reset`: queues a reset email; the mail function sends it if the
//! account exists.

mod handler;

use shared::accounts::Accounts;
use shared::db::Table;
use shared::http::idempotency::Idempotent;
use shared::mail::MailQueue;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let table = Table::from_config(&sdk, &config)?;
    let (accounts, idempotent) = (
        Accounts::new(table.clone(), &config),
        Idempotent::new(table),
    );
    let queue = MailQueue::from_config(&sdk, &config)?;
    shared::http::run(config, |request| {
        handler::request_reset(&accounts, &queue, &idempotent, request)
    })
    .await
}
