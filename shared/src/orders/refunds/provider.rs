//! Asking the provider for a refund, recording what it answered, and the refunds job that asks
//! again for every refund the provider has not taken yet.

use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::Serialize;

use super::{RefundItem, RefundState, Tally, due_sort_key};
use crate::db::{Index, Item, Table, number, string};
use crate::error::ApiError;
use crate::orders::keys;
use crate::payments::{PaymentProvider, ProviderRefund, RefundRequest};

/// Attempts after which an unreachable provider makes a refund `failed` (and an alarm): with
/// the backoff below, about five days of trying.
pub const MAX_ATTEMPTS: u32 = 30;

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

/// Writes an outcome on the refund, and on its order's counts when it settles it, in one
/// transaction conditional on the refund still pending and not yet taken (a second attempt
/// racing this one records nothing).
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
        .expression_attribute_values(":now", number(now))
        .expression_attribute_values(":one", number(1));
    let (update, settled) = match outcome {
        Outcome::Succeeded(provider_id) => (
            update
                .update_expression("SET #status = :succeeded, provider_refund_id = :provider, attempts = attempts + :one, updated_at = :now REMOVE gsi2pk, gsi2sk")
                .expression_attribute_values(":succeeded", string("succeeded"))
                .expression_attribute_values(":provider", string(provider_id)),
            Some(RefundState::Succeeded),
        ),
        Outcome::Settling(provider_id) => (
            update
                .update_expression("SET provider_refund_id = :provider, attempts = attempts + :one, updated_at = :now REMOVE gsi2pk, gsi2sk")
                .expression_attribute_values(":provider", string(provider_id)),
            None,
        ),
        Outcome::Failed => (
            update
                .update_expression("SET #status = :failed, attempts = attempts + :one, updated_at = :now REMOVE gsi2pk, gsi2sk")
                .expression_attribute_values(":failed", string("failed")),
            Some(RefundState::Failed),
        ),
        Outcome::Retry => {
            let next = now + backoff_secs(refund.attempts);
            (
                update
                    .update_expression("SET attempts = attempts + :one, gsi2sk = :due, updated_at = :now")
                    .expression_attribute_values(":due", string(due_sort_key(next, &refund.id))),
                None,
            )
        }
    };
    let mut writes = vec![
        TransactWriteItem::builder()
            .update(update.build().map_err(ApiError::internal)?)
            .build(),
    ];
    if let Some(state) = settled {
        writes.push(Tally::settling(state, refund.amount_cents).update(
            table,
            &refund.order_id,
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
        super::DUE,
        keys::due_bound(now + 1),
        limit,
        start,
    )
    .await
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
