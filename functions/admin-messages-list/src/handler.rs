//! The messages sent through the contact form, a page at a time.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::contact::Contact;
use shared::http::{HandlerResult, PageRequest, auth, json};
use shared::secrets::Keys;

pub async fn list(
    contact: &Contact,
    accounts: &Accounts,
    keys: &Keys,
    request: Request,
) -> HandlerResult {
    let admin = auth::admin(&request, keys.verifier(), accounts).await?;
    let page = PageRequest::from_request(&request)?;
    let found = contact
        .list(
            &admin,
            page.limit,
            page.cursor.as_deref(),
            keys,
            shared::clock::now(),
        )
        .await?;
    json(StatusCode::OK, &found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/admin-messages-list/list.json");

    async fn call(event: &str) -> u16 {
        let (accounts, keys) = (testing::accounts().await, testing::keys());
        let contact = Contact::new(testing::table().await);
        testing::call(event, |r| list(&contact, &accounts, &keys, r))
            .await
            .0
    }

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        testing::assert_admin_gate(SAMPLE, |event| async move { call(&event).await }).await;
    }
}
