//! `GET /orders/{id}`: one order, for its owner or an admin.

mod handler;

use shared::accounts::Accounts;
use shared::db::Table;
use shared::orders::service::Orders;
use shared::secrets::Keys;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let table = Table::from_config(&sdk, &config)?;
    let (orders, accounts) = (
        Orders::new(table.clone(), &config),
        Accounts::new(table, &config),
    );
    let keys = Keys::load(&sdk, &config).await?;
    shared::http::run(config, |request| {
        handler::get(&orders, &accounts, keys.verifier(), request)
    })
    .await
}
