//! A provider's word that refunds settled (`charge.refunded`), matched to ours by the
//! provider's refund id.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::{RefundState, Tally, of_order};
use crate::db::{Table, number, string};
use crate::error::ApiError;
use crate::orders::model::OrderItem;
use crate::payments::webhook::EventObject;

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
/// it settles move to what it says, the order's counts with them, in the transaction `also`
/// (the event's mark) is part of. `Ok(false)`: nothing of ours to settle.
pub async fn settle(
    table: &Table,
    order: &OrderItem,
    settled: &Settled,
    also: TransactWriteItem,
    now: i64,
) -> Result<bool, ApiError> {
    let refunds = of_order(table, &order.id).await?;
    let mut writes = Vec::new();
    let mut tally = Tally::default();
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
            .expression_attribute_values(":state", string(state.as_str()))
            .expression_attribute_values(":pending", string("pending"))
            .expression_attribute_values(":now", number(now))
            .build()
            .map_err(ApiError::internal)?;
        writes.push(TransactWriteItem::builder().update(update).build());
        tally = tally.plus(Tally::settling(state, refund.amount_cents));
        if state == RefundState::Failed {
            crate::emf::refund_failed(&refund.order_id);
            tracing::error!(refund.id = %refund.id, order_id = %refund.order_id, "the provider says a refund failed: the money is still owed to the customer");
        }
    }
    if writes.is_empty() {
        return Ok(false);
    }
    writes.push(tally.update(table, &order.id, now)?);
    writes.push(also);
    // `false`: settled by an earlier delivery, or the event already handled.
    crate::db::transact_if(table, writes, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
