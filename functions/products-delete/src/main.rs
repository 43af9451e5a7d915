//! `DELETE /products/{id}`: an admin deactivates a product.

mod handler;

use shared::accounts::Accounts;
use shared::catalog::Catalog;
use shared::db::Table;
use shared::secrets::Keys;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
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
