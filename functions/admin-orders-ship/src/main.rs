//! `POST /admin/orders/{id}/ship`: an admin ships a paid order; the customer is emailed.

mod handler;

use shared::accounts::Accounts;
use shared::db::Table;
use shared::http::idempotency::Idempotent;
use shared::mail::MailQueue;
use shared::orders::service::Orders;
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
    let mail = MailQueue::from_config(&sdk, &config)?;
    let keys = Keys::load(&sdk, &config).await?;
    shared::http::run(config, |request| {
        handler::ship(
            &orders,
            &accounts,
            &mail,
            &idempotent,
            keys.verifier(),
            request,
        )
    })
    .await
}
