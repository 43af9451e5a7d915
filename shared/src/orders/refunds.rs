//! Refunds: money owed back to a customer is a record of its own, kept until the payment
//! provider has settled it. A refund is written `pending` in the same transaction as what owes
//! it (a paid order cancelled, a payment that arrived late or for the wrong amount); it is then
//! asked of the provider at once, and again by the refunds job, with backoff, for as long as the
//! provider cannot be reached. The provider's own idempotency key is the refund's id, so asking
//! twice never refunds twice.
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
//! The order carries `refund_status` (`pending`, `refunded` or `failed`) and `refund_id` (the
//! record's id), changed in the same transactions as the record.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};

use super::keys;
use super::model::{OrderItem, RefundStatus};
use crate::db::{Index, Item, Table, from_item, number, put_if, string};
use crate::error::ApiError;
use crate::ids::Id;
use crate::payments::webhook::EventObject;
use crate::payments::{PaymentProvider, ProviderRefund, RefundRequest};

/// The gsi2 partition of the refunds the provider has not taken yet.
pub const DUE: &str = "REFUNDS#due";
/// Attempts after which an unreachable provider makes a refund `failed` (and an alarm): with
/// the backoff below, about five days of trying.
pub const MAX_ATTEMPTS: u32 = 30;

pub fn sort_key(id: &str) -> String {
    format!("REFUND#{id}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    Pending,
    Succeeded,
    Failed,
}

/// Why money goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundReason {
    /// The shop cancelled a paid order.
    Cancelled,
    /// Money arrived for an order that had expired or been cancelled.
    LatePayment,
    /// Money arrived that was not the order's total in its currency.
    WrongAmount,
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
    pub reason: RefundReason,
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

impl RefundItem {
    /// A refund of `amount_cents` of `order`'s payment, due now.
    pub fn new(order: &OrderItem, amount_cents: i64, reason: RefundReason, now: i64) -> Self {
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
}

fn due_sort_key(at: i64, id: &str) -> String {
    format!("{}#{id}", keys::due_bound(at))
}

/// How long after `attempts` failed attempts the next is made: a minute, doubling, at most
/// six hours.
pub fn backoff_secs(attempts: u32) -> i64 {
    (60i64 << attempts.min(9)).min(6 * 3600)
}

/// What the provider's answer (or its silence) makes of a pending refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The money is back.
    Succeeded(String),
    /// The provider took it and settles it later (a webhook says when).
    Settling(String),
    /// The provider refused it, or could not be reached for too long.
    Failed,
    /// The provider could not be reached: asked again after the backoff.
    Retry,
}

/// The outcome of one attempt: a pure function of the provider's answer and the attempts made.
pub fn outcome(answer: &Result<ProviderRefund, ApiError>, attempts_before: u32) -> Outcome {
    match answer {
        Ok(refund) => match refund.status.as_str() {
            "succeeded" => Outcome::Succeeded(refund.id.clone()),
            "failed" | "canceled" => Outcome::Failed,
            _ => Outcome::Settling(refund.id.clone()),
        },
        Err(ApiError::ServiceUnavailable(_)) if attempts_before + 1 < MAX_ATTEMPTS => {
            Outcome::Retry
        }
        Err(_) => Outcome::Failed,
    }
}

/// Asks the provider for `refund` and records what it answered. The record is the truth: if
/// recording fails, the refund is still due and the job asks again (the provider answers the
/// same refund to the same key).
pub async fn attempt(
    table: &Table,
    refund: &RefundItem,
    payments: &impl PaymentProvider,
    now: i64,
) -> Result<Outcome, ApiError> {
    let answer = payments
        .refund(&RefundRequest {
            intent_id: &refund.payment_intent_id,
            amount_cents: refund.amount_cents,
            refund_id: &refund.id,
            order_id: &refund.order_id,
        })
        .await;
    if let Err(err) = &answer {
        tracing::warn!(refund.id = %refund.id, order_id = %refund.order_id, error = %crate::error::cause_chain(err), "refund not taken by the provider");
    }
    let outcome = outcome(&answer, refund.attempts);
    record(table, refund, &outcome, now).await?;
    Ok(outcome)
}

/// Writes an outcome on the refund, and on its order when it settles it, in one transaction
/// conditional on the refund still pending and not yet taken (a second attempt racing this one
/// records nothing).
async fn record(
    table: &Table,
    refund: &RefundItem,
    outcome: &Outcome,
    now: i64,
) -> Result<(), ApiError> {
    let update = table
        .update_of(&refund.pk, &refund.sk)
        .condition_expression(
            "#status = :pending AND attempts = :attempts AND attribute_not_exists(provider_refund_id)",
        )
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":pending", string("pending"))
        .expression_attribute_values(":attempts", number(i64::from(refund.attempts)))
        .expression_attribute_values(":now", number(now));
    let (update, order_status) = match outcome {
        Outcome::Succeeded(provider_id) => (
            update
                .update_expression("SET #status = :succeeded, provider_refund_id = :provider, attempts = attempts + :one, updated_at = :now REMOVE gsi2pk, gsi2sk")
                .expression_attribute_values(":succeeded", string("succeeded"))
                .expression_attribute_values(":provider", string(provider_id))
                .expression_attribute_values(":one", number(1)),
            Some(RefundStatus::Refunded),
        ),
        Outcome::Settling(provider_id) => (
            update
                .update_expression("SET provider_refund_id = :provider, attempts = attempts + :one, updated_at = :now REMOVE gsi2pk, gsi2sk")
                .expression_attribute_values(":provider", string(provider_id))
                .expression_attribute_values(":one", number(1)),
            None,
        ),
        Outcome::Failed => (
            update
                .update_expression("SET #status = :failed, attempts = attempts + :one, updated_at = :now REMOVE gsi2pk, gsi2sk")
                .expression_attribute_values(":failed", string("failed"))
                .expression_attribute_values(":one", number(1)),
            Some(RefundStatus::Failed),
        ),
        Outcome::Retry => {
            let next = now + backoff_secs(refund.attempts);
            (
                update
                    .update_expression("SET attempts = attempts + :one, gsi2sk = :due, updated_at = :now")
                    .expression_attribute_values(":due", string(due_sort_key(next, &refund.id)))
                    .expression_attribute_values(":one", number(1)),
                None,
            )
        }
    };
    let mut writes = vec![
        TransactWriteItem::builder()
            .update(update.build().map_err(ApiError::internal)?)
            .build(),
    ];
    if let Some(status) = order_status {
        writes.push(order_refund_status(
            table,
            &refund.order_id,
            &refund.id,
            status,
            now,
        )?);
    }
    match crate::db::transact(table, writes, None).await {
        Ok(()) => {}
        Err(err) if crate::db::condition_failed_at(&err, 0) => {
            tracing::info!(refund.id = %refund.id, "refund recorded by another attempt");
            return Ok(());
        }
        Err(err) => return Err(crate::db::transaction_failed(err)),
    }
    if *outcome == Outcome::Failed {
        crate::emf::refund_failed(&refund.order_id);
        tracing::error!(refund.id = %refund.id, order_id = %refund.order_id, amount_cents = refund.amount_cents, "refund failed: the money is still owed to the customer");
    }
    Ok(())
}

/// The order's side of a refund settling: its `refund_status`, if the refund is still the
/// order's.
fn order_refund_status(
    table: &Table,
    order_id: &str,
    refund_id: &str,
    status: RefundStatus,
    now: i64,
) -> Result<TransactWriteItem, ApiError> {
    let update = table
        .update_of(keys::order(order_id), keys::ORDER_SK)
        .update_expression("SET refund_status = :status, updated_at = :now")
        .condition_expression("refund_id = :refund")
        .expression_attribute_values(":status", string(status.as_str()))
        .expression_attribute_values(":refund", string(refund_id))
        .expression_attribute_values(":now", number(now))
        .build()
        .map_err(ApiError::internal)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// Up to `limit` refunds whose next attempt is due at `now`, the longest due first, and where
/// the next page starts.
pub async fn due(
    table: &Table,
    now: i64,
    limit: i32,
    start: Option<Item>,
) -> Result<(Vec<RefundItem>, Option<Item>), ApiError> {
    crate::db::below(
        table,
        Index::Gsi2,
        DUE,
        keys::due_bound(now + 1),
        limit,
        start,
    )
    .await
}

/// Every refund of an order, oldest first.
pub async fn of_order(table: &Table, order_id: &str) -> Result<Vec<RefundItem>, ApiError> {
    let output = table
        .client
        .query()
        .table_name(&table.name)
        .key_condition_expression("pk = :pk AND begins_with(sk, :refund)")
        .expression_attribute_values(":pk", string(keys::order(order_id)))
        .expression_attribute_values(":refund", string("REFUND#"))
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

/// What a run of the refunds job did.
#[derive(Debug, Default, Serialize)]
pub struct RetryRun {
    pub succeeded: u64,
    pub settling: u64,
    pub failed: u64,
    pub still_due: u64,
    pub stopped_early: bool,
}

/// The refunds job: every due refund asked of the provider again, page by page, while
/// `time_left` leaves room for a page more.
pub async fn retry_due(
    table: &Table,
    payments: &impl PaymentProvider,
    now: i64,
    time_left: impl Fn() -> std::time::Duration,
) -> Result<RetryRun, ApiError> {
    const MARGIN: std::time::Duration = std::time::Duration::from_secs(15);
    let mut run = RetryRun::default();
    let mut start = None;
    loop {
        if time_left() < MARGIN {
            run.stopped_early = true;
            return Ok(run);
        }
        let (due, next) = due(table, now, 10, start).await?;
        for refund in &due {
            match attempt(table, refund, payments, now).await? {
                Outcome::Succeeded(_) => run.succeeded += 1,
                Outcome::Failed => run.failed += 1,
                Outcome::Settling(_) => run.settling += 1,
                Outcome::Retry => run.still_due += 1,
            }
        }
        match next {
            Some(key) => start = Some(key),
            None => return Ok(run),
        }
    }
}

/// What a `charge.refunded` says settled: each listed refund by its provider id, and whether
/// the whole charge is refunded (which settles every refund the provider took). A partial
/// refund the event does not list settles nothing: it is never read as a full one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settled {
    pub by_id: HashMap<String, RefundState>,
    pub all_refunded: bool,
}

impl Settled {
    pub fn of(charge: &EventObject, order_total: i64) -> Self {
        let by_id = charge
            .refunds
            .iter()
            .flat_map(|list| &list.data)
            .filter_map(|refund| {
                let state = match refund.status.as_str() {
                    "succeeded" => RefundState::Succeeded,
                    "failed" | "canceled" => RefundState::Failed,
                    _ => return None,
                };
                Some((refund.id.clone(), state))
            })
            .collect();
        let refunded = charge.amount_refunded.unwrap_or(0);
        let all_refunded = refunded > 0
            && refunded >= order_total
            && charge.amount.is_none_or(|amount| refunded >= amount);
        Self {
            by_id,
            all_refunded,
        }
    }

    fn state_of(&self, provider_id: &str) -> Option<RefundState> {
        match self.by_id.get(provider_id) {
            Some(state) => Some(*state),
            None => self.all_refunded.then_some(RefundState::Succeeded),
        }
    }
}

/// A provider's word that refunds of an order settled (`charge.refunded`): the pending refunds
/// it settles move to what it says, the order with them, in the transaction `also` (the
/// event's mark) is part of. `Ok(false)`: nothing of ours to settle.
pub async fn settle(
    table: &Table,
    order: &OrderItem,
    settled: &Settled,
    also: TransactWriteItem,
    now: i64,
) -> Result<bool, ApiError> {
    let refunds = of_order(table, &order.id).await?;
    let mut writes = Vec::new();
    let mut order_status = None;
    for refund in &refunds {
        let Some(provider_id) = &refund.provider_refund_id else {
            continue;
        };
        let Some(state) = settled.state_of(provider_id) else {
            continue;
        };
        if refund.status != RefundState::Pending {
            continue;
        }
        let update = table
            .update_of(&refund.pk, &refund.sk)
            .update_expression("SET #status = :state, updated_at = :now")
            .condition_expression("#status = :pending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(
                ":state",
                string(if state == RefundState::Succeeded {
                    "succeeded"
                } else {
                    "failed"
                }),
            )
            .expression_attribute_values(":pending", string("pending"))
            .expression_attribute_values(":now", number(now))
            .build()
            .map_err(ApiError::internal)?;
        writes.push(TransactWriteItem::builder().update(update).build());
        if order.refund_id.as_deref() == Some(refund.id.as_str()) {
            order_status = Some(if state == RefundState::Succeeded {
                RefundStatus::Refunded
            } else {
                RefundStatus::Failed
            });
        }
        if state == RefundState::Failed {
            crate::emf::refund_failed(&refund.order_id);
            tracing::error!(refund.id = %refund.id, order_id = %refund.order_id, "the provider says a refund failed: the money is still owed to the customer");
        }
    }
    if writes.is_empty() {
        return Ok(false);
    }
    if let (Some(status), Some(refund_id)) = (order_status, &order.refund_id) {
        writes.push(order_refund_status(
            table, &order.id, refund_id, status, now,
        )?);
    }
    writes.push(also);
    // `false`: settled by an earlier delivery, or the event already handled.
    crate::db::transact_if(table, writes, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refund(id: &str, status: &str) -> Result<ProviderRefund, ApiError> {
        Ok(ProviderRefund {
            id: id.to_owned(),
            status: status.to_owned(),
        })
    }

    #[test]
    fn each_answer_of_the_provider_moves_a_refund_once_and_silence_is_retried_then_failed() {
        assert_eq!(
            outcome(&refund("re_1", "succeeded"), 0),
            Outcome::Succeeded("re_1".to_owned())
        );
        for settling in ["pending", "requires_action", ""] {
            assert_eq!(
                outcome(&refund("re_2", settling), 3),
                Outcome::Settling("re_2".to_owned()),
                "{settling}"
            );
        }
        assert_eq!(outcome(&refund("re_3", "failed"), 0), Outcome::Failed);
        assert_eq!(outcome(&refund("re_3", "canceled"), 0), Outcome::Failed);
        let down = || Err(ApiError::unavailable("stripe down"));
        assert_eq!(outcome(&down(), 0), Outcome::Retry);
        assert_eq!(outcome(&down(), MAX_ATTEMPTS - 2), Outcome::Retry);
        assert_eq!(outcome(&down(), MAX_ATTEMPTS - 1), Outcome::Failed);
        let refused = Err(ApiError::PaymentProvider("no such payment".into()));
        assert_eq!(outcome(&refused, 0), Outcome::Failed);
    }

    fn charge(json: &str) -> EventObject {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_partial_refund_is_never_read_as_a_full_one() {
        let partial = charge(r#"{"id": "ch_1", "amount": 5000, "amount_refunded": 2000}"#);
        let settled = Settled::of(&partial, 5000);
        assert!(!settled.all_refunded);
        assert_eq!(settled.state_of("re_1"), None);

        let listed = charge(
            r#"{"id": "ch_1", "amount": 5000, "amount_refunded": 2000,
                "refunds": {"data": [{"id": "re_1", "status": "succeeded"},
                                     {"id": "re_2", "status": "pending"},
                                     {"id": "re_3", "status": "failed"}]}}"#,
        );
        let settled = Settled::of(&listed, 5000);
        assert_eq!(settled.state_of("re_1"), Some(RefundState::Succeeded));
        assert_eq!(settled.state_of("re_2"), None, "still settling");
        assert_eq!(settled.state_of("re_3"), Some(RefundState::Failed));
        assert_eq!(settled.state_of("re_9"), None);

        let full = charge(r#"{"id": "ch_1", "amount": 5000, "amount_refunded": 5000}"#);
        let settled = Settled::of(&full, 5000);
        assert_eq!(settled.state_of("re_any"), Some(RefundState::Succeeded));
        let nothing = charge(r#"{"id": "ch_1", "amount": 5000}"#);
        assert_eq!(Settled::of(&nothing, 5000), Settled::default());
    }

    #[test]
    fn the_backoff_doubles_from_a_minute_to_six_hours_and_stays_there() {
        assert_eq!(backoff_secs(0), 60);
        assert_eq!(backoff_secs(1), 120);
        assert_eq!(backoff_secs(5), 1920);
        assert_eq!(backoff_secs(9), 6 * 3600);
        assert_eq!(backoff_secs(u32::MAX), 6 * 3600);
        let total: i64 = (0..MAX_ATTEMPTS).map(backoff_secs).sum();
        assert!((3 * 86_400..8 * 86_400).contains(&total), "{total}");
    }
}
