//! `POST /products/{id}/images`: an admin gets a presigned upload for a product image.

mod handler;

use shared::accounts::Accounts;
use shared::catalog::{Catalog, Uploads};
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
    let (keys, uploads) = (
        Keys::load(&sdk, &config).await?,
        Uploads::from_config(&sdk, &config)?,
    );
    shared::http::run(config, |request| {
        handler::add_image(
            &catalog,
            &accounts,
            keys.verifier(),
            &uploads,
            &idempotent,
            request,
        )
    })
    .await
}
