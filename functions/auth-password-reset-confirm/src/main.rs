//! `POST /auth/password-reset/confirm`: sets a new password with a reset token.

mod handler;

use shared::accounts::Accounts;
use shared::db::Table;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let sdk = shared::aws::sdk_config().await;
    let accounts = Accounts::new(Table::from_config(&sdk, &config)?, &config);
    shared::http::run(config, |request| handler::confirm_reset(&accounts, request)).await
}
