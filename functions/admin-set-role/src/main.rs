//! `POST /admin/users/{id}/role`: an admin sets a user's role.

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
    let keys = Keys::load(&sdk, &config).await?;
    shared::http::run(config, |request| {
        handler::set_role(&accounts, keys.verifier(), request)
    })
    .await
}
