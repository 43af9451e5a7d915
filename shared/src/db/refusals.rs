//! Why a transaction was cancelled, item by item: which conditions failed, and the items as
//! the transaction found them (each write asks for them back on a failed condition).

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

use super::Item;

/// One write's part in a cancelled transaction.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub failed: bool,
    /// The item as the transaction found it, when its condition failed and the write asked.
    pub item: Option<Item>,
}

/// The refusals of a cancelled transaction, in the order of its writes; empty for any other
/// error.
pub fn refusals(err: &SdkError<TransactWriteItemsError, HttpResponse>) -> Vec<Refusal> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
            .cancellation_reasons()
            .iter()
            .map(|reason| Refusal {
                failed: reason.code() == Some("ConditionalCheckFailed"),
                item: reason.item().cloned(),
            })
            .collect(),
        _ => Vec::new(),
    }
}
