//! `POST /auth/login`: exchanges an email and a password for a token pair.

mod handler;

use shared::accounts::Accounts;
use shared::db::Table;
use shared::secrets::Keys;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let sdk = shared::aws::sdk_config().await;
    let accounts = Accounts::new(Table::from_config(&sdk, &config)?, &config);
    let issuer = Keys::load(&sdk, &config).await?.issuer();
    shared::http::run(config, |request| {
        handler::login(&accounts, &issuer, request)
    })
    .await
}
