//! `POST /auth/password-reset/confirm`: sets a new password with a reset token.

mod handler;

use shared::accounts::Accounts;
use shared::db::Table;
use shared::http::idempotency::Idempotent;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let table = Table::from_config(&sdk, &config)?;
    let (accounts, idempotent) = (
        Accounts::new(table.clone(), &config),
        Idempotent::new(table),
    );
    shared::http::run(config, |request| {
        handler::confirm_reset(&accounts, &idempotent, request)
    })
    .await
}
