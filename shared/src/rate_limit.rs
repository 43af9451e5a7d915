//! Fixed-window counters in DynamoDB, counted atomically: login failures per account, password
//! resets per account, messages per client IP. A window starts with its first event and lasts
//! `length` seconds; the counter's item expires with it (TTL), and reads ignore an expired one.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::ReturnValue;
use serde::Deserialize;

use crate::db::{Table, n, s};
use crate::error::ApiError;

#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub limit: u32,
    pub length_secs: i64,
}

#[derive(Debug, Deserialize)]
struct Counter {
    count: u32,
    window_start: i64,
}

fn pk(key: &str) -> String {
    format!("RATE#{key}")
}
const SK: &str = "RATE";

impl Window {
    fn retry_after(&self, window_start: i64, now: i64) -> ApiError {
        let seconds = (window_start + self.length_secs - now).max(1);
        ApiError::RateLimited {
            retry_after: std::time::Duration::from_secs(seconds as u64),
        }
    }

    /// `429` if `key` has already reached the limit in its current window; counts nothing.
    pub async fn check(&self, table: &Table, key: &str, now: i64) -> Result<(), ApiError> {
        match table.get::<Counter>(&pk(key), SK).await? {
            Some(c) if c.window_start > now - self.length_secs && c.count >= self.limit => {
                Err(self.retry_after(c.window_start, now))
            }
            _ => Ok(()),
        }
    }

    /// Counts one event; `429` if it goes over the limit.
    pub async fn hit(&self, table: &Table, key: &str, now: i64) -> Result<(), ApiError> {
        // Two tries: the second after starting a fresh window over an expired one.
        for _ in 0..2 {
            let counted = table
                .client
                .update_item()
                .table_name(&table.name)
                .key("pk", s(pk(key)))
                .key("sk", s(SK))
                .update_expression(
                    "SET window_start = if_not_exists(window_start, :now), #ttl = if_not_exists(#ttl, :ttl) ADD #count :one",
                )
                .condition_expression("attribute_not_exists(pk) OR window_start > :cutoff")
                .expression_attribute_names("#count", "count")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":ttl", n(now + self.length_secs))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":cutoff", n(now - self.length_secs))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match counted {
                Ok(output) => {
                    let counter: Counter =
                        crate::db::from_item(output.attributes.unwrap_or_default())?;
                    if counter.count > self.limit {
                        return Err(self.retry_after(counter.window_start, now));
                    }
                    return Ok(());
                }
                Err(err)
                    if matches!(
                        err.as_service_error(),
                        Some(UpdateItemError::ConditionalCheckFailedException(_))
                    ) =>
                {
                    // The window has passed: start a new one, unless someone just did.
                    let _ = table
                        .client
                        .delete_item()
                        .table_name(&table.name)
                        .key("pk", s(pk(key)))
                        .key("sk", s(SK))
                        .condition_expression("window_start <= :cutoff")
                        .expression_attribute_values(":cutoff", n(now - self.length_secs))
                        .send()
                        .await;
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(ApiError::unavailable("the rate counter kept changing"))
    }

    /// Forgets the key's counter (a successful login clears its failures).
    pub async fn clear(table: &Table, key: &str) -> Result<(), ApiError> {
        table.delete(&pk(key), SK).await
    }
}
