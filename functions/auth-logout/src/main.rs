//! `POST /auth/logout`: ends the login of a refresh token.

mod handler;

use shared::accounts::Accounts;
use shared::db::Table;
use shared::http::idempotency::Idempotent;
use shared::secrets::Keys;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let table = Table::from_config(&sdk, &config)?;
    let (accounts, idempotent) = (
        Accounts::new(table.clone(), &config),
        Idempotent::new(table),
    );
    let keys = Keys::load(&sdk, &config).await?;
    shared::http::run(config, |request| {
        handler::logout(&accounts, keys.verifier(), &idempotent, request)
    })
    .await
}
