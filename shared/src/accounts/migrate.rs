//! The one-off migration of accounts registered before the customer search: each is put in
//! the search's index (gsi1 `ACCOUNTS`/email). Idempotent: an account already indexed is left
//! alone, so running it again indexes only what is left.

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys;
use crate::db::{Table, string};
use crate::error::ApiError;

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Indexed {
    /// Accounts put in the index by this run.
    pub indexed: u64,
}

/// Indexes every account of `table` that is not yet: the accounts have no index to find them
/// by before this, so they are found with a scan (once, by an operator's command).
pub async fn run(table: &Table) -> Result<Indexed, ApiError> {
    let mut done = Indexed::default();
    let mut start = None;
    loop {
        let page = table
            .client
            .scan()
            .table_name(&table.name)
            .filter_expression("sk = :profile AND attribute_not_exists(gsi1pk)")
            .expression_attribute_values(":profile", string(keys::USER_SK))
            .projection_expression("pk, email")
            .set_exclusive_start_key(start.take())
            .send()
            .await?;
        for item in page.items.unwrap_or_default() {
            let (Some(AttributeValue::S(pk)), Some(AttributeValue::S(email))) =
                (item.get("pk"), item.get("email"))
            else {
                continue;
            };
            let written = table
                .client
                .update_item()
                .table_name(&table.name)
                .key("pk", string(pk))
                .key("sk", string(keys::USER_SK))
                .update_expression("SET gsi1pk = :accounts, gsi1sk = :email")
                .condition_expression("attribute_exists(pk) AND attribute_not_exists(gsi1pk)")
                .expression_attribute_values(":accounts", string(keys::ACCOUNTS))
                .expression_attribute_values(":email", string(email))
                .send()
                .await;
            if crate::db::applied(written)? {
                done.indexed += 1;
            }
        }
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return Ok(done),
        }
    }
}
