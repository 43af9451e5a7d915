//! `POST /contact`: anyone sends the shop a message; five per client IP an hour.

mod handler;

use shared::contact::Contact;
use shared::db::Table;
use shared::http::idempotency::Idempotent;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let table = Table::from_config(&sdk, &config)?;
    let (contact, idempotent) = (Contact::new(table.clone()), Idempotent::new(table));
    shared::http::run(config, |request| {
        handler::send(&contact, &idempotent, request)
    })
    .await
}
