//! `POST /auth/login`: exchanges an email and a password for a token pair.

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
    let issuer = Keys::load(&sdk, &config).await?.issuer();
    shared::http::run(config, |request| {
        handler::login(&accounts, &issuer, &idempotent, request)
    })
    .await
}
