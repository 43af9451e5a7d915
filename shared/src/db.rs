//! DynamoDB access shared by every repository: the table handle, its indexes, item
//! (de)serialisation with `serde_dynamo`, and telling a failed condition from a failed service.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::{Config, ConfigError};
use crate::error::ApiError;

pub type Item = HashMap<String, AttributeValue>;

/// The table's global secondary indexes, as the template declares them. Each is shared by
/// several kinds of item (single-table design); each domain's `keys` module says which of its
/// listings lives in which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    Gsi1,
    Gsi2,
    Gsi3,
}

impl Index {
    pub fn name(self) -> &'static str {
        match self {
            Self::Gsi1 => "gsi1",
            Self::Gsi2 => "gsi2",
            Self::Gsi3 => "gsi3",
        }
    }

    /// The attribute names of the index's partition and sort keys.
    pub fn key_attributes(self) -> (&'static str, &'static str) {
        match self {
            Self::Gsi1 => ("gsi1pk", "gsi1sk"),
            Self::Gsi2 => ("gsi2pk", "gsi2sk"),
            Self::Gsi3 => ("gsi3pk", "gsi3sk"),
        }
    }
}

/// How many times a DynamoDB call is tried before its failure is the caller's: a throttled or
/// failed attempt is tried again after a random pause of up to 50, 100, 200 ms (exponential
/// backoff with full jitter). The SDK's own retry quota stops retrying when most calls of the
/// process fail, so a DynamoDB outage costs a request a few fast attempts, not its whole timeout.
pub const MAX_ATTEMPTS: u32 = 4;
const INITIAL_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// A single attempt that takes longer than this is abandoned and tried again (DynamoDB answers
/// in milliseconds; a TLS handshake on a cold start takes about 100 ms).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// The whole call, retries included, stays well inside the shortest function timeout (10 s), so
/// a DynamoDB that does not answer is the function's `503`, not a timed-out invocation.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// The DynamoDB client's configuration: the shared SDK configuration with [`MAX_ATTEMPTS`] and
/// the timeouts above. Throttling (`ProvisionedThroughputExceededException`,
/// `ThrottlingException`), 5xx answers, timeouts and failed connections are retried; a call that
/// still fails is `503` ([`ApiError`]'s `From<SdkError>`).
pub fn client_config(sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Config {
    use aws_sdk_dynamodb::config::retry::RetryConfig;
    use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
    aws_sdk_dynamodb::config::Builder::from(sdk)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(INITIAL_BACKOFF)
                .with_max_backoff(MAX_BACKOFF),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(CALL_TIMEOUT)
                .build(),
        )
        .build()
}

/// The single table and its client.
#[derive(Debug, Clone)]
pub struct Table {
    pub client: aws_sdk_dynamodb::Client,
    pub name: String,
}

/// A transaction item on one item of the table, its key filled in; the caller adds the
/// expressions.
macro_rules! transaction_item {
    ($(#[$doc:meta])* $method:ident -> $kind:ident) => {
        $(#[$doc])*
        pub fn $method(
            &self,
            pk: impl Into<String>,
            sk: impl Into<String>,
        ) -> aws_sdk_dynamodb::types::builders::$kind {
            <aws_sdk_dynamodb::types::builders::$kind>::default()
                .table_name(&self.name)
                .key("pk", string(pk))
                .key("sk", string(sk))
        }
    };
}

impl Table {
    transaction_item!(
        /// A transaction's update of the item `pk`/`sk`.
        update_of -> UpdateBuilder
    );
    transaction_item!(
        /// A transaction's condition on the item `pk`/`sk`.
        check_of -> ConditionCheckBuilder
    );
    transaction_item!(
        /// A transaction's delete of the item `pk`/`sk`.
        delete_of -> DeleteBuilder
    );
}

impl Table {
    pub fn new(client: aws_sdk_dynamodb::Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    /// A query of one partition of `index`. `sort`, when given, is the condition on the
    /// index's sort key after its name (`"< :bound"`, `"BETWEEN :lower AND :upper"`); the
    /// caller adds its values.
    pub fn query_partition(
        &self,
        index: Index,
        partition: impl Into<String>,
        sort: Option<&str>,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let (pk_name, sk_name) = index.key_attributes();
        let condition = match sort {
            Some(sort) => format!("{pk_name} = :pk AND {sk_name} {sort}"),
            None => format!("{pk_name} = :pk"),
        };
        self.client
            .query()
            .table_name(&self.name)
            .index_name(index.name())
            .key_condition_expression(condition)
            .expression_attribute_values(":pk", string(partition))
    }

    /// The table `TABLE_NAME` names, on a client with [`client_config`]'s retries and timeouts.
    pub fn from_config(sdk: &aws_config::SdkConfig, config: &Config) -> Result<Self, ConfigError> {
        Ok(Self::new(
            aws_sdk_dynamodb::Client::from_conf(client_config(sdk)),
            config.required(&config.table_name, "TABLE_NAME")?,
        ))
    }

    /// Reads one item, strongly consistent.
    pub async fn get<T: DeserializeOwned>(
        &self,
        pk: &str,
        sk: &str,
    ) -> Result<Option<T>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .key("pk", string(pk))
            .key("sk", string(sk))
            .consistent_read(true)
            .send()
            .await?;
        output.item.map(from_item).transpose()
    }

    pub async fn delete(&self, pk: &str, sk: &str) -> Result<(), ApiError> {
        self.client
            .delete_item()
            .table_name(&self.name)
            .key("pk", string(pk))
            .key("sk", string(sk))
            .send()
            .await?;
        Ok(())
    }
}

/// Runs `query` to its end, a page at a time: `each` sees every page's output (its items, or
/// its count), and nothing keeps the pages.
pub async fn for_each_page(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    mut each: impl FnMut(aws_sdk_dynamodb::operation::query::QueryOutput) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    let mut start = None;
    loop {
        let mut output = query.clone().set_exclusive_start_key(start).send().await?;
        let next = output.last_evaluated_key.take();
        each(output)?;
        match next {
            Some(key) => start = Some(key),
            None => return Ok(()),
        }
    }
}

/// Up to `limit` items of one index partition whose sort key is below `bound`, lowest first,
/// from `start`, and where the next page starts (DynamoDB's own paging): the due lists of the
/// jobs (orders past their expiry, refunds past their next attempt).
pub async fn below<T: DeserializeOwned>(
    table: &Table,
    index: Index,
    partition: &str,
    bound: String,
    limit: i32,
    start: Option<Item>,
) -> Result<(Vec<T>, Option<Item>), ApiError> {
    let output = table
        .query_partition(index, partition, Some("< :bound"))
        .expression_attribute_values(":bound", string(bound))
        .limit(limit)
        .set_exclusive_start_key(start)
        .send()
        .await?;
    let items = output
        .items
        .unwrap_or_default()
        .into_iter()
        .map(from_item)
        .collect::<Result<Vec<T>, _>>()?;
    Ok((items, output.last_evaluated_key))
}

/// A transaction's put of `item` if `condition` holds (`attribute_not_exists(pk)` for "new").
pub fn put_if<T: Serialize>(
    table: &Table,
    item: &T,
    condition: &str,
) -> Result<TransactWriteItem, ApiError> {
    let put = Put::builder()
        .table_name(&table.name)
        .set_item(Some(to_item(item)?))
        .condition_expression(condition)
        .build()
        .map_err(ApiError::internal)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A transaction's put of `item`, whatever is there.
pub fn put<T: Serialize>(table: &Table, item: &T) -> Result<TransactWriteItem, ApiError> {
    let put = Put::builder()
        .table_name(&table.name)
        .set_item(Some(to_item(item)?))
        .build()
        .map_err(ApiError::internal)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A string attribute value (`S`).
pub fn string(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute value (`N`).
pub fn number(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A string-set attribute value (`SS`) of one string.
pub fn string_set(value: impl Into<String>) -> AttributeValue {
    AttributeValue::Ss(vec![value.into()])
}

pub fn to_item<T: Serialize>(value: &T) -> Result<Item, ApiError> {
    serde_dynamo::to_item(value).map_err(ApiError::internal)
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, ApiError> {
    serde_dynamo::from_item(item).map_err(ApiError::internal)
}

/// Whether a single conditional write applied: `false` when its condition failed (nothing
/// written); any other failure is the caller's error.
pub fn applied<O, E>(result: Result<O, SdkError<E, HttpResponse>>) -> Result<bool, ApiError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(err)
            if err.as_service_error().and_then(|e| e.code())
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(err) => Err(err.into()),
    }
}

/// The cancellation code of each item of a cancelled transaction (empty for other failures).
pub fn cancellation_codes(
    err: &SdkError<TransactWriteItemsError, HttpResponse>,
) -> Vec<Option<&str>> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
            .cancellation_reasons()
            .iter()
            .map(|reason| reason.code())
            .collect(),
        _ => Vec::new(),
    }
}

/// The item `index` of a cancelled transaction as its failed condition found it (when the
/// write asked for it with `ReturnValuesOnConditionCheckFailure`).
pub fn cancelled_item(
    err: &SdkError<TransactWriteItemsError, HttpResponse>,
    index: usize,
) -> Option<Item> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
            .cancellation_reasons()
            .get(index)
            .and_then(|reason| reason.item().cloned()),
        _ => None,
    }
}

/// Whether a failed transaction was cancelled because the condition of item `index` failed.
pub fn condition_failed_at(
    err: &SdkError<TransactWriteItemsError, HttpResponse>,
    index: usize,
) -> bool {
    cancellation_codes(err).get(index).copied().flatten() == Some("ConditionalCheckFailed")
}

/// Whether a failed transaction was cancelled by any failed condition.
pub fn any_condition_failed(err: &SdkError<TransactWriteItemsError, HttpResponse>) -> bool {
    cancellation_codes(err)
        .into_iter()
        .any(|code| code == Some("ConditionalCheckFailed"))
}

/// A failed transaction that no condition explains. Cancelled by a conflicting write or by
/// throttling, it may succeed when tried again (`503`); any other failure is a bug (`500`).
pub fn transaction_failed(err: SdkError<TransactWriteItemsError, HttpResponse>) -> ApiError {
    let transient = cancellation_codes(&err)
        .into_iter()
        .flatten()
        .any(|code| matches!(code, "TransactionConflict" | "ThrottlingError"));
    if transient {
        ApiError::unavailable(err)
    } else {
        err.into()
    }
}

/// How often a transaction cancelled by a concurrent one on the same items is tried again.
/// Checkouts of one popular product conflict by design; each retry waits a little longer, with
/// jitter, so that they spread out.
pub const CONFLICT_RETRIES: u32 = 12;

/// Runs a transaction, again when a concurrent transaction on the same items cancelled it.
/// `token`, when given, is its `ClientRequestToken`: a retry of a call that DynamoDB applied
/// but whose answer was lost is then answered as applied, not applied again (or refused by its
/// own conditions).
pub async fn transact(
    table: &Table,
    writes: Vec<TransactWriteItem>,
    token: Option<&str>,
) -> Result<(), SdkError<TransactWriteItemsError, HttpResponse>> {
    let base = match token {
        Some(token) => crate::auth::tokens::hex(&<sha2::Sha256 as sha2::Digest>::digest(token)),
        None => crate::ids::Id::new().to_string(),
    };
    let mut attempt = 0;
    loop {
        // At most 36 characters. Each of our own attempts has its own: the one before was
        // cancelled, not applied; the SDK's retries of one attempt share it.
        let request_token = format!("{}-{attempt}", &base[..base.len().min(32)]);
        let result = table
            .client
            .transact_write_items()
            .set_transact_items(Some(writes.clone()))
            .client_request_token(request_token)
            .send()
            .await;
        let conflict = match &result {
            Err(err) => match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    let codes: Vec<Option<&str>> = cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code())
                        .collect();
                    // Retried only when nothing but a conflict stopped it.
                    codes.contains(&Some("TransactionConflict"))
                        && !codes.contains(&Some("ConditionalCheckFailed"))
                }
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => true,
                _ => false,
            },
            Ok(_) => false,
        };
        if !conflict || attempt >= CONFLICT_RETRIES {
            return result.map(|_| ());
        }
        attempt += 1;
        tokio::time::sleep(backoff(attempt)).await;
    }
}

/// [`transact`], for writes whose conditions may refuse them: `true` if applied, `false` if a
/// condition failed (nothing written); anything else is [`transaction_failed`].
pub async fn transact_if(
    table: &Table,
    writes: Vec<TransactWriteItem>,
    token: Option<&str>,
) -> Result<bool, ApiError> {
    match transact(table, writes, token).await {
        Ok(()) => Ok(true),
        Err(err) if any_condition_failed(&err) => Ok(false),
        Err(err) => Err(transaction_failed(err)),
    }
}

/// 5 ms doubling to 320 ms, each with up to as much again at random.
pub fn backoff(attempt: u32) -> Duration {
    let base = 5u64 << attempt.min(6);
    let mut jitter = [0u8; 2];
    let _ = getrandom::fill(&mut jitter);
    Duration::from_millis(base + u64::from(u16::from_le_bytes(jitter)) % (base + 1))
}

/// The items of `keys` (`pk`, `sk`) that exist, strongly consistent, in no particular order:
/// `BatchGetItem` by 100 keys, what DynamoDB leaves unprocessed asked again after a pause.
pub async fn batch_get<T: DeserializeOwned>(
    table: &Table,
    keys: &[(String, String)],
) -> Result<Vec<T>, ApiError> {
    // DynamoDB refuses a request that names a key twice (a checkout's two lines of one
    // variant): each key is asked once.
    let keys: Vec<&(String, String)> = keys
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut found = Vec::new();
    for chunk in keys.chunks(100) {
        let mut pending: Vec<Item> = chunk
            .iter()
            .map(|(pk, sk)| {
                HashMap::from([("pk".to_owned(), string(pk)), ("sk".to_owned(), string(sk))])
            })
            .collect();
        let mut round = 0u32;
        while !pending.is_empty() {
            let request = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(ApiError::internal)?;
            let output = table
                .client
                .batch_get_item()
                .request_items(&table.name, request)
                .send()
                .await?;
            for item in output
                .responses
                .and_then(|mut r| r.remove(&table.name))
                .unwrap_or_default()
            {
                found.push(from_item(item)?);
            }
            pending = output
                .unprocessed_keys
                .and_then(|mut u| u.remove(&table.name))
                .map(|k| k.keys)
                .unwrap_or_default();
            if !pending.is_empty() {
                round += 1;
                if round > CONFLICT_RETRIES {
                    return Err(ApiError::unavailable("DynamoDB left reads unprocessed"));
                }
                tokio::time::sleep(backoff(round)).await;
            }
        }
    }
    Ok(found)
}

mod contention;
mod pages;
mod refusals;
pub use contention::{CONTENTION_BUDGET, Contention};
pub use pages::{Position, Range, newest_first, page_of};
pub use refusals::{Refusal, refusals};
