//! `POST /orders/{id}/cancel`: the owner cancels an unpaid order, an admin one not yet shipped.

mod handler;

use shared::accounts::Accounts;
use shared::db::Table;
use shared::http::idempotency::Idempotent;
use shared::orders::service::Orders;
use shared::payments::stripe::Stripe;
use shared::secrets::Keys;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let table = Table::from_config(&sdk, &config)?;
    let (orders, accounts) = (
        Orders::new(table.clone(), &config),
        Accounts::new(table.clone(), &config),
    );
    let idempotent = Idempotent::new(table);
    let (keys, stripe) = (
        Keys::load(&sdk, &config).await?,
        Stripe::load(&sdk, &config).await?,
    );
    shared::http::run(config, |request| {
        handler::cancel(
            &orders,
            &accounts,
            &stripe,
            &idempotent,
            keys.verifier(),
            request,
        )
    })
    .await
}
