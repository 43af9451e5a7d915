//! `GET /products/{id}`: one product, with `ETag` and `Cache-Control`.

mod handler;

use shared::accounts::Accounts;
use shared::catalog::Catalog;
use shared::db::Table;
use shared::secrets::LazyKeys;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
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
