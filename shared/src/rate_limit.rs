//! Fixed-window limits in DynamoDB, counted atomically: login attempts per account, password
//! resets per email, messages per client IP. A window starts with its first event and lasts
//! `length` seconds; the counter's item expires with it (TTL), and an expired one is replaced.
//!
//! An attempt is counted *before* the work it guards, by one conditional `UpdateItem` that
//! refuses past the limit: forty parallel requests cannot all pass a read that each of them
//! made before any of them counted.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use serde::Deserialize;

use crate::db::{Table, number, string};
use crate::error::ApiError;

#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub limit: u32,
    pub length_secs: i64,
}

#[derive(Debug, Deserialize)]
struct Counter {
    window_start: i64,
}

fn pk(key: &str) -> String {
    format!("RATE#{key}")
}
const SK: &str = "RATE";

impl Window {
    fn retry_after(&self, window_start: i64, now: i64) -> ApiError {
        let seconds = window_start
            .saturating_add(self.length_secs)
            .saturating_sub(now)
            .max(1);
        ApiError::RateLimited {
            retry_after: std::time::Duration::from_secs(seconds.unsigned_abs()),
        }
    }

    /// Counts one attempt for `key`; `429` (with the time left in the window) if the window
    /// already holds `limit` attempts, in which case nothing is counted.
    pub async fn acquire(&self, table: &Table, key: &str, now: i64) -> Result<(), ApiError> {
        take(table, key, "count", *self, now).await
    }
}

/// Failed attempts per key in a fixed window, for logins: only failures stay counted, so a right
/// password never uses up the window. An attempt holds a place before the work it guards, by
/// one conditional `UpdateItem` on `held` (failures so far, and attempts running), refused at
/// `limit`; it gives the place back if it succeeds, and keeps it as a failure if it fails. A
/// burst of parallel guesses therefore gets at most `limit` checked in a window; right
/// passwords are refused only while `limit` attempts are running at once.
#[derive(Debug, Clone, Copy)]
pub struct Attempts {
    pub limit: u32,
    pub length_secs: i64,
}

/// An attempt that holds a place; [`Attempts::end`] settles it.
#[derive(Debug)]
#[must_use]
pub struct Attempt {
    key: String,
}

#[derive(Debug, Deserialize)]
struct Held {
    #[serde(default)]
    failures: u32,
}

impl Attempts {
    /// Takes a place for `key`; `429` (with the time left in the window) if `limit` are held.
    pub async fn begin(&self, table: &Table, key: &str, now: i64) -> Result<Attempt, ApiError> {
        let window = Window {
            limit: self.limit,
            length_secs: self.length_secs,
        };
        take(table, key, "held", window, now).await?;
        Ok(Attempt {
            key: key.to_owned(),
        })
    }

    /// Settles `attempt`: a failure keeps its place and is counted; a success gives its place
    /// back and, with `forgive`, the key's failures too (the owner's right password from that
    /// network). The failures the window holds now (`None` if the window was reset meanwhile).
    pub async fn end(
        &self,
        table: &Table,
        attempt: Attempt,
        failed: bool,
        forgive: bool,
    ) -> Result<Option<u32>, ApiError> {
        let update = if failed {
            "ADD failures :one"
        } else {
            "ADD held :minus_one"
        };
        let mut request = table
            .client
            .update_item()
            .table_name(&table.name)
            .key("pk", string(pk(&attempt.key)))
            .key("sk", string(SK))
            .update_expression(update)
            .condition_expression("attribute_exists(pk) AND held > :zero")
            .expression_attribute_values(":zero", number(0))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        request = if failed {
            request.expression_attribute_values(":one", number(1))
        } else {
            request.expression_attribute_values(":minus_one", number(-1))
        };
        let held: Option<Held> = match request.send().await {
            Ok(output) => output.attributes.map(crate::db::from_item).transpose()?,
            Err(err) if is_condition_failed(&err) => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        let failures = held.map(|h| h.failures);
        match failures {
            Some(count) if forgive && !failed && count > 0 => {
                let forgiven = table
                    .client
                    .update_item()
                    .table_name(&table.name)
                    .key("pk", string(pk(&attempt.key)))
                    .key("sk", string(SK))
                    .update_expression("SET failures = :zero ADD held :minus")
                    .condition_expression("failures = :count")
                    .expression_attribute_values(":zero", number(0))
                    .expression_attribute_values(":minus", number(-i64::from(count)))
                    .expression_attribute_values(":count", number(i64::from(count)))
                    .send()
                    .await;
                match forgiven {
                    Ok(_) => Ok(Some(0)),
                    // Another attempt counted or forgave meanwhile: left as it is.
                    Err(err) if is_condition_failed(&err) => Ok(failures),
                    Err(err) => Err(err.into()),
                }
            }
            _ => Ok(failures),
        }
    }
}

fn is_condition_failed(
    err: &aws_sdk_dynamodb::error::SdkError<
        UpdateItemError,
        aws_sdk_dynamodb::config::http::HttpResponse,
    >,
) -> bool {
    matches!(
        err.as_service_error(),
        Some(UpdateItemError::ConditionalCheckFailedException(_))
    )
}

/// Adds one to `key`'s `counter` in its window, if it holds fewer than `window.limit`; else
/// `429` with the time left. A window that has passed is cleared and a new one started.
async fn take(
    table: &Table,
    key: &str,
    counter: &str,
    window: Window,
    now: i64,
) -> Result<(), ApiError> {
    let cutoff = now - window.length_secs;
    // Two tries: the second after clearing a window that has passed.
    for _ in 0..2 {
        let counted = table
            .client
            .update_item()
            .table_name(&table.name)
            .key("pk", string(pk(key)))
            .key("sk", string(SK))
            .update_expression(
                "SET window_start = if_not_exists(window_start, :now), #ttl = if_not_exists(#ttl, :ttl) ADD #count :one",
            )
            .condition_expression(
                "attribute_not_exists(pk) OR (window_start > :cutoff AND #count < :limit)",
            )
            .expression_attribute_names("#count", counter)
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":now", number(now))
            .expression_attribute_values(":ttl", number(now + window.length_secs))
            .expression_attribute_values(":one", number(1))
            .expression_attribute_values(":cutoff", number(cutoff))
            .expression_attribute_values(":limit", number(i64::from(window.limit)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match counted {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        let old: Option<Counter> = match err.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                failed.item.clone().map(crate::db::from_item).transpose()?
            }
            _ => return Err(err.into()),
        };
        match old {
            Some(counter) if counter.window_start > cutoff => {
                return Err(window.retry_after(counter.window_start, now));
            }
            // The window has passed: start a new one, unless someone just did.
            _ => clear_passed(table, key, cutoff).await?,
        }
    }
    Err(ApiError::unavailable("the rate counter kept changing"))
}

/// Deletes `key`'s counter if its window started at or before `cutoff`, unless someone just
/// started a new one.
async fn clear_passed(table: &Table, key: &str, cutoff: i64) -> Result<(), ApiError> {
    let cleared = table
        .client
        .delete_item()
        .table_name(&table.name)
        .key("pk", string(pk(key)))
        .key("sk", string(SK))
        .condition_expression("window_start <= :cutoff")
        .expression_attribute_values(":cutoff", number(cutoff))
        .send()
        .await;
    match cleared {
        Ok(_) => Ok(()),
        Err(err)
            if matches!(
                err.as_service_error(),
                Some(aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(_))
            ) =>
        {
            Ok(())
        }
        Err(err) => Err(err.into()),
    }
}

/// The network a client address counts for: an IPv4 address is itself (an IPv4-mapped IPv6
/// address too), an IPv6 address its /64, which one subscriber is usually given whole, so that
/// walking through its addresses does not walk past a limit. Anything that is not an address is
/// itself.
pub fn client_network(ip: &str) -> String {
    use std::net::IpAddr;
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
        Err(_) => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_counts_for_its_64_and_an_ipv4_one_for_itself() {
        let one = client_network("2001:db8:1:2:aaaa::1");
        assert_eq!(one, "2001:db8:1:2::/64");
        assert_eq!(
            client_network("2001:0db8:0001:0002:ffff:ffff:ffff:ffff"),
            one
        );
        assert_ne!(client_network("2001:db8:1:3::1"), one);
        assert_eq!(client_network("203.0.113.7"), "203.0.113.7");
        assert_eq!(client_network("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(client_network("unknown"), "unknown");
    }
}
