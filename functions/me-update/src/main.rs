//! `PATCH /me`: changes the signed-in user's name or password.

mod handler;

use shared::accounts::Accounts;
use shared::db::Table;
use shared::secrets::Keys;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let accounts = Accounts::new(Table::from_config(&sdk, &config)?, &config);
    let keys = Keys::load(&sdk, &config).await?;
    shared::http::run(config, |request| {
        handler::update_me(&accounts, keys.verifier(), request)
    })
    .await
}
