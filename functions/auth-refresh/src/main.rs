//! `POST /auth/refresh`: exchanges a refresh token for a new pair (rotation).

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
        handler::refresh(&accounts, &issuer, request)
    })
    .await
}
