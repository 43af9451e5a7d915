//! DynamoDB access shared by every repository: the table handle, item (de)serialisation with
//! `serde_dynamo`, and telling a failed condition from a failed service.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub type Item = HashMap<String, AttributeValue>;

/// The single table and its client.
#[derive(Debug, Clone)]
pub struct Table {
    pub client: aws_sdk_dynamodb::Client,
    pub name: String,
}

impl Table {
    pub fn new(client: aws_sdk_dynamodb::Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
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
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await?;
        output.item.map(from_item).transpose()
    }

    pub async fn delete(&self, pk: &str, sk: &str) -> Result<(), ApiError> {
        self.client
            .delete_item()
            .table_name(&self.name)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .send()
            .await?;
        Ok(())
    }
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

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub fn to_item<T: Serialize>(value: &T) -> Result<Item, ApiError> {
    serde_dynamo::to_item(value).map_err(ApiError::internal)
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, ApiError> {
    serde_dynamo::from_item(item).map_err(ApiError::internal)
}

/// The cancellation code of each item of a cancelled transaction (empty for other failures).
fn cancellation_codes<R>(err: &SdkError<TransactWriteItemsError, R>) -> Vec<Option<&str>> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
            .cancellation_reasons()
            .iter()
            .map(|reason| reason.code())
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a failed transaction was cancelled because the condition of item `index` failed.
pub fn condition_failed_at<R>(err: &SdkError<TransactWriteItemsError, R>, index: usize) -> bool {
    cancellation_codes(err).get(index).copied().flatten() == Some("ConditionalCheckFailed")
}

/// Whether a failed transaction was cancelled by any failed condition.
pub fn any_condition_failed<R>(err: &SdkError<TransactWriteItemsError, R>) -> bool {
    cancellation_codes(err)
        .into_iter()
        .any(|code| code == Some("ConditionalCheckFailed"))
}
