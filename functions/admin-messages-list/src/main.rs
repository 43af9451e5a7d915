//! `GET /admin/messages`: the contact messages, newest first (admins only).

mod handler;

use shared::accounts::Accounts;
use shared::contact::Contact;
use shared::db::Table;
use shared::secrets::Keys;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, sdk) = shared::start().await?;
    let table = Table::from_config(&sdk, &config)?;
    let (contact, accounts) = (Contact::new(table.clone()), Accounts::new(table, &config));
    let keys = Keys::load(&sdk, &config).await?;
    shared::http::run(config, |request| {
        handler::list(&contact, &accounts, &keys, request)
    })
    .await
}
