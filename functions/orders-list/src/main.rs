//! `GET /orders`: the caller's orders, newest first.

mod handler;

use shared::db::Table;
use shared::orders::service::Orders;
use shared::secrets::Keys;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let orders = Orders::new(Table::from_config(&sdk, &config)?, &config);
    let keys = Keys::load(&sdk, &config).await?;
    shared::http::run(config, |request| handler::list(&orders, &keys, request)).await
}
