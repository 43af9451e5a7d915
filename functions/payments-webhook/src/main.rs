//! `POST /payments/stripe/webhook`: Stripe tells the shop what happened to a payment.

mod handler;

use shared::db::Table;
use shared::mail::MailQueue;
use shared::orders::service::Orders;
use shared::payments::stripe::Stripe;
use shared::payments::webhook::WebhookSecrets;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let orders = Orders::new(Table::from_config(&sdk, &config)?, &config);
    let mail = MailQueue::from_config(&sdk, &config)?;
    let stripe = Stripe::load(&sdk, &config).await?;
    let secrets = WebhookSecrets::load(&sdk, &config).await?;
    shared::http::run(config, |request| {
        handler::receive(&orders, &stripe, &mail, &secrets, request)
    })
    .await
}
