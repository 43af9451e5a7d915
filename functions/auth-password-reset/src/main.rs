//! `POST /auth/password-reset`: queues a reset email; the mail function sends it if the
//! account exists.

mod handler;

use shared::accounts::Accounts;
use shared::db::Table;
use shared::mail::MailQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let sdk = shared::aws::sdk_config().await;
    let accounts = Accounts::new(Table::from_config(&sdk, &config)?, &config);
    let queue = MailQueue::from_config(&sdk, &config)?;
    shared::http::run(config, |request| {
        handler::request_reset(&accounts, &queue, request)
    })
    .await
}
