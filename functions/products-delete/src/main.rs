//! `DELETE /products/{id}`: an admin deactivates a product.

mod handler;

use shared::accounts::Accounts;
use shared::catalog::Catalog;
use shared::db::Table;
use shared::secrets::Keys;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let sdk = shared::aws::sdk_config().await;
    let table = Table::from_config(&sdk, &config)?;
    let (accounts, catalog) = (
        Accounts::new(table.clone(), &config),
        Catalog::new(table, &config)?,
    );
    let keys = Keys::load(&sdk, &config).await?;
    shared::http::run(config, |request| {
        handler::delete(&catalog, &accounts, keys.verifier(), request)
    })
    .await
}
