//! `POST /products`: an admin adds a product.

mod handler;

use shared::accounts::Accounts;
use shared::catalog::Catalog;
use shared::db::Table;
use shared::http::idempotency::Idempotent;
use shared::secrets::Keys;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let table = Table::from_config(&sdk, &config)?;
    let (accounts, catalog) = (
        Accounts::new(table.clone(), &config),
        Catalog::new(table.clone(), &config)?,
    );
    let idempotent = Idempotent::new(table);
    let keys = Keys::load(&sdk, &config).await?;
    shared::http::run(config, |request| {
        handler::create(&catalog, &accounts, keys.verifier(), &idempotent, request)
    })
    .await
}
