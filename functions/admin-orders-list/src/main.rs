//! `GET /admin/orders`: every order, or those in one status, newest first (admins only).

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
        handler::list(&orders, &accounts, &keys, request)
    })
    .await
}
