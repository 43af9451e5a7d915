//! Refunds: money owed back to a customer is a record of its own, kept until the payment
//! provider has settled it. A refund is written `pending` in the same transaction as what owes
//! it (an admin's refund of an amount or of lines, a paid order cancelled, a return received, a
//! payment that arrived late or for the wrong amount); it is then asked of the provider at
//! once, and again by the refunds job, with backoff, for as long as the provider cannot be
//! reached. The provider's own idempotency key is the refund's id, so asking twice never
//! refunds twice.
//!
//! ```text
//! pending ──provider took it, settled──▶ succeeded
//!    │  └──provider took it, settling──▶ pending (its provider id known; a webhook settles it)
//!    └──provider refused, or unreachable too long──▶ failed (reported on the order, alarmed)
//! ```
//!
//! | item | pk | sk | index |
//! |---|---|---|---|
//! | refund | `ORDER#<order id>` | `REFUND#<id>` | gsi2 `REFUNDS#due`/`<next attempt, 12 digits>#<id>` while the provider has not taken it |
//!
//! The order counts what its refunds owe, changed in the same transactions as the records:
//! `refunded_cents` (the refunds not `failed`, pending ones included: what may not exceed the
//! payment), `refunds_pending` and `refunds_failed`; each line counts its `refunded_quantity`.
//! Its `refund_status` is read from these counts ([`status_of`]).

#[cfg(test)]
pub(crate) mod fixture;
mod issue;
mod provider;
mod settle;

use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};

pub use issue::{Ask, RefundAsk, RefundEnvelope, RefundLineAsk};
pub use provider::{MAX_ATTEMPTS, Outcome, RetryRun, attempt, backoff_secs, due, retry_due};
pub use settle::{Settled, settle};

use super::keys;
use super::model::{OrderItem, RefundStatus};
use crate::clock::rfc3339;
use crate::db::{Table, from_item, number, put_if, string};
use crate::error::ApiError;
use crate::ids::Id;

/// The gsi2 partition of the refunds the provider has not taken yet.
pub const DUE: &str = "REFUNDS#due";

pub fn sort_key(id: &str) -> String {
    format!("REFUND#{id}")
}
const SORT_PREFIX: &str = "REFUND#";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    Pending,
    Succeeded,
    Failed,
}

impl RefundState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

/// Why the shop itself gives money back (an admin's refund gives its own reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundReason {
    /// The shop cancelled a paid order.
    Cancelled,
    /// Money arrived for an order that had expired or been cancelled.
    LatePayment,
    /// Money arrived that was not the order's total in its currency.
    WrongAmount,
}

impl RefundReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cancelled => "cancelled",
            Self::LatePayment => "late_payment",
            Self::WrongAmount => "wrong_amount",
        }
    }
}

/// Units of one variant a refund gives money back for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLine {
    pub variant_id: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundItem {
    pub pk: String,
    pub sk: String,
    pub id: String,
    pub order_id: String,
    pub payment_intent_id: String,
    pub amount_cents: i64,
    pub currency: String,
    /// One of [`RefundReason`]'s, or an admin's words.
    pub reason: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<RefundLine>,
    /// Whether the lines' units came back to stock with it.
    #[serde(default)]
    pub restock: bool,
    /// The staff member who made it; none when the shop's own rules did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    pub status: RefundState,
    /// The provider's id, once it took the refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_refund_id: Option<String>,
    pub attempts: u32,
    /// In the due index while the provider has not taken it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi2pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi2sk: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A refund as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Refund {
    pub id: String,
    pub amount_cents: i64,
    pub lines: Vec<RefundLine>,
    pub restock: bool,
    pub status: RefundState,
    pub reason: String,
    pub created_at: String,
    pub updated_at: String,
}

impl RefundItem {
    /// A refund of `amount_cents` of `order`'s payment, for the shop's own `reason`, due now.
    pub fn new(order: &OrderItem, amount_cents: i64, reason: RefundReason, now: i64) -> Self {
        Self::of(order, amount_cents, reason.as_str().to_owned(), now)
    }

    /// A refund of `amount_cents` of `order`'s payment, due now.
    pub fn of(order: &OrderItem, amount_cents: i64, reason: String, now: i64) -> Self {
        let id = Id::new().to_string();
        Self {
            pk: keys::order(&order.id),
            sk: sort_key(&id),
            gsi2pk: Some(DUE.to_owned()),
            gsi2sk: Some(due_sort_key(now, &id)),
            id,
            order_id: order.id.clone(),
            payment_intent_id: order.payment.payment_intent_id.clone(),
            amount_cents,
            currency: order.currency.clone(),
            reason,
            lines: Vec::new(),
            restock: false,
            actor_id: None,
            status: RefundState::Pending,
            provider_refund_id: None,
            attempts: 0,
            created_at: now,
            updated_at: now,
        }
    }

    /// The transaction item that writes it (new by construction).
    pub fn put(&self, table: &Table) -> Result<TransactWriteItem, ApiError> {
        put_if(table, self, "attribute_not_exists(pk)")
    }

    pub fn view(&self) -> Refund {
        Refund {
            id: self.id.clone(),
            amount_cents: self.amount_cents,
            lines: self.lines.clone(),
            restock: self.restock,
            status: self.status,
            reason: self.reason.clone(),
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
        }
    }

    /// The refund as `outcome` leaves it (what the record now says).
    pub fn after(mut self, outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Succeeded(id) => {
                self.status = RefundState::Succeeded;
                self.provider_refund_id = Some(id.clone());
            }
            Outcome::Settling(id) => self.provider_refund_id = Some(id.clone()),
            Outcome::Failed => self.status = RefundState::Failed,
            Outcome::Retry => {}
        }
        self
    }
}

fn due_sort_key(at: i64, id: &str) -> String {
    format!("{}#{id}", keys::due_bound(at))
}

/// An order's refund status, read from its counts: `pending` while a refund is not settled,
/// then `full` once the refunds that did not fail reach its total, `partial` below it, and
/// `failed` when every refund it had failed (the money is still owed; an alarm said so).
pub fn status_of(order: &OrderItem) -> Option<RefundStatus> {
    if order.refunds_pending > 0 {
        Some(RefundStatus::Pending)
    } else if order.refunded_cents > 0 && order.refunded_cents >= order.total_cents {
        Some(RefundStatus::Full)
    } else if order.refunded_cents > 0 {
        Some(RefundStatus::Partial)
    } else if order.refunds_failed > 0 {
        Some(RefundStatus::Failed)
    } else {
        None
    }
}

/// What refunds settling do to their order's counts: one settled leaves the pending ones, and
/// one that failed no longer counts as given back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub pending: i64,
    pub refunded_cents: i64,
    pub failed: i64,
}

impl Tally {
    /// The change a pending refund of `amount_cents` settling as `state` makes.
    pub fn settling(state: RefundState, amount_cents: i64) -> Self {
        match state {
            RefundState::Pending => Self::default(),
            RefundState::Succeeded => Self {
                pending: -1,
                ..Self::default()
            },
            RefundState::Failed => Self {
                pending: -1,
                refunded_cents: -amount_cents,
                failed: 1,
            },
        }
    }

    /// A new pending refund of `amount_cents`.
    pub fn owed(amount_cents: i64) -> Self {
        Self {
            pending: 1,
            refunded_cents: amount_cents,
            failed: 0,
        }
    }

    pub fn plus(self, other: Self) -> Self {
        Self {
            pending: self.pending + other.pending,
            refunded_cents: self.refunded_cents + other.refunded_cents,
            failed: self.failed + other.failed,
        }
    }

    /// The same change on an order as read.
    pub fn apply_to(self, order: &mut OrderItem) {
        order.refunds_pending += self.pending;
        order.refunded_cents += self.refunded_cents;
        order.refunds_failed += self.failed;
    }

    /// The order's update that makes this change (its counts may not exist yet: `ADD`).
    pub fn update(
        self,
        table: &Table,
        order_id: &str,
        now: i64,
    ) -> Result<TransactWriteItem, ApiError> {
        let update = table
            .update_of(keys::order(order_id), keys::ORDER_SK)
            .update_expression("SET updated_at = :now ADD refunds_pending :pending, refunded_cents :cents, refunds_failed :failed")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", number(now))
            .expression_attribute_values(":pending", number(self.pending))
            .expression_attribute_values(":cents", number(self.refunded_cents))
            .expression_attribute_values(":failed", number(self.failed))
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

/// Every refund of an order, oldest first.
pub async fn of_order(table: &Table, order_id: &str) -> Result<Vec<RefundItem>, ApiError> {
    let output = table
        .client
        .query()
        .table_name(&table.name)
        .key_condition_expression("pk = :pk AND begins_with(sk, :refund)")
        .expression_attribute_values(":pk", string(keys::order(order_id)))
        .expression_attribute_values(":refund", string(SORT_PREFIX))
        .consistent_read(true)
        .send()
        .await?;
    output
        .items
        .unwrap_or_default()
        .into_iter()
        .map(from_item)
        .collect()
}

/// The order `id` and its refunds, oldest first, with one strongly consistent read of its
/// partition.
pub async fn order_with_refunds(
    table: &Table,
    id: &str,
) -> Result<Option<(OrderItem, Vec<RefundItem>)>, ApiError> {
    let mut order = None;
    let mut refunds = Vec::new();
    for item in super::repo::partition(table, id).await? {
        match super::repo::sort_key_of(&item) {
            keys::ORDER_SK => order = Some(from_item(item)?),
            sk if sk.starts_with(SORT_PREFIX) => refunds.push(from_item(item)?),
            _ => {}
        }
    }
    Ok(order.map(|order| (order, refunds)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_orders_refund_status_follows_its_counts() {
        let mut order: OrderItem = fixture::paid(&[("v1", 4500, 1, 0, 0)], 500);
        assert_eq!(status_of(&order), None);
        Tally::owed(2000).apply_to(&mut order);
        assert_eq!(status_of(&order), Some(RefundStatus::Pending));
        Tally::settling(RefundState::Succeeded, 2000).apply_to(&mut order);
        assert_eq!(status_of(&order), Some(RefundStatus::Partial));
        Tally::owed(3000).apply_to(&mut order);
        Tally::settling(RefundState::Failed, 3000).apply_to(&mut order);
        assert_eq!(
            (order.refunded_cents, status_of(&order)),
            (2000, Some(RefundStatus::Partial)),
            "a failed refund no longer counts as given back"
        );
        Tally::owed(3000)
            .plus(Tally::settling(RefundState::Succeeded, 3000))
            .apply_to(&mut order);
        assert_eq!(status_of(&order), Some(RefundStatus::Full));

        let mut failed = fixture::paid(&[("v1", 4500, 1, 0, 0)], 500);
        Tally::owed(5000).apply_to(&mut failed);
        Tally::settling(RefundState::Failed, 5000).apply_to(&mut failed);
        assert_eq!(status_of(&failed), Some(RefundStatus::Failed));
    }
}
