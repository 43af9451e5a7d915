//! `GET /products/{id}`: one product, with `ETag` and `Cache-Control`.

mod handler;

use shared::accounts::Accounts;
use shared::catalog::Catalog;
use shared::db::Table;
use shared::secrets::LazyKeys;

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
    let keys = LazyKeys::new(&sdk, &config)?;
    shared::http::run(config, |request| {
        handler::get(&catalog, &accounts, &keys, request)
    })
    .await
}
