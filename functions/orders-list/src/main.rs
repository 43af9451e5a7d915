//! `GET /orders`: the caller's orders, newest first.

mod handler;

use shared::db::Table;
use shared::orders::service::Orders;
use shared::secrets::Keys;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let sdk = shared::aws::sdk_config().await;
    let orders = Orders::new(Table::from_config(&sdk, &config)?, &config);
    let keys = Keys::load(&sdk, &config).await?;
    shared::http::run(config, |request| handler::list(&orders, &keys, request)).await
}
