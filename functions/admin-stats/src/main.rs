//! `GET /admin/stats`: today's orders and revenue, orders by status, low stock (admins only).

mod handler;

use shared::accounts::Accounts;
use shared::catalog::Catalog;
use shared::db::Table;
use shared::orders::service::Orders;
use shared::secrets::Keys;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let table = Table::from_config(&sdk, &config)?;
    let orders = Orders::new(table.clone(), &config);
    let catalog = Catalog::new(table.clone(), &config)?;
    let accounts = Accounts::new(table, &config);
    let keys = Keys::load(&sdk, &config).await?;
    shared::http::run(config, |request| {
        handler::stats(&orders, &catalog, &accounts, keys.verifier(), request)
    })
    .await
}
