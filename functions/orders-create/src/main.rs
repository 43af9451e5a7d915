//! `POST /orders`: a signed-in customer checks out; the Idempotency-Key is required.

mod handler;

use shared::db::Table;
use shared::http::idempotency::Idempotent;
use shared::orders::service::Orders;
use shared::payments::stripe::Stripe;
use shared::secrets::Keys;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let table = Table::from_config(&sdk, &config)?;
    let orders = Orders::new(table.clone(), &config);
    let idempotent = Idempotent::new(table);
    let (keys, stripe) = (
        Keys::load(&sdk, &config).await?,
        Stripe::load(&sdk, &config).await?,
    );
    shared::http::run(config, |request| {
        handler::create(&orders, &stripe, &idempotent, keys.verifier(), request)
    })
    .await
}
