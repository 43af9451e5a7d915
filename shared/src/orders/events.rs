//! What a payment provider's events do to orders, each once: every effect is written in one
//! transaction with the event's mark.

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::model::OrderItem;
use super::refunds::{self, RefundItem, RefundReason};
use super::repo::{self, Changes};
use super::rules;
use super::service::{Orders, invalid, queue};
use super::state::{self, Action, OrderStatus};
use crate::error::ApiError;
use crate::ids::Id;
use crate::mail::{MailJob, MailQueue};
use crate::payments::PaymentProvider;
use crate::payments::webhook::Event;

impl Orders {
    /// What a provider's event does, once per event id: every effect is written in one
    /// transaction with the event's mark, so a redelivery finds both (and does nothing more) or
    /// neither (and does it all). `Ok` means handled, or nothing to do; an error makes the
    /// provider deliver the event again.
    pub async fn handle_event(
        &self,
        event: &Event,
        payments: &impl PaymentProvider,
        mail: &MailQueue,
        now: i64,
    ) -> Result<(), ApiError> {
        let object = &event.data.object;
        let intent_id = match event.kind.as_str() {
            "charge.refunded" => object.payment_intent.clone().unwrap_or_default(),
            _ => object.id.clone(),
        };
        let order_id = object.metadata.as_ref().and_then(|m| m.order_id.as_deref());
        let Some(order_id) = order_id.and_then(Id::parse) else {
            tracing::info!(event.kind = %event.kind, "event names no order of ours");
            return Ok(());
        };
        let Some(order) = repo::get(&self.table, order_id.as_str()).await? else {
            tracing::warn!(event.kind = %event.kind, "event names an unknown order");
            return Ok(());
        };
        if order.payment.payment_intent_id != intent_id {
            tracing::warn!(event.kind = %event.kind, "event's payment is not the order's");
            return Ok(());
        }
        let mark = || repo::event_mark(&self.table, &event.id, now);
        match event.kind.as_str() {
            "payment_intent.succeeded" => {
                let arrived = Arrived {
                    amount: object.amount,
                    currency: object.currency.as_deref(),
                };
                self.paid(&order, arrived, mark()?, payments, mail, now)
                    .await
            }
            // Stripe's own status after a failure is `requires_payment_method`, the same as
            // before any attempt: the order says what happened instead.
            "payment_intent.payment_failed" => {
                repo::record_payment_status(
                    &self.table,
                    &order.id,
                    &intent_id,
                    "payment_failed",
                    mark()?,
                    now,
                )
                .await?;
                crate::emf::payment_failed(&order.id);
                Ok(())
            }
            "charge.refunded" => {
                let settled = refunds::Settled::of(object, order.total_cents);
                if !refunds::settle(&self.table, &order, &settled, mark()?, now).await? {
                    tracing::info!(order_id = %order.id, "charge.refunded settles no pending refund of ours");
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Money arrived: the order is paid if it still waits for it, with the right amount and
    /// currency. Money for an order that has expired or been cancelled, or that is not the
    /// order's total, goes back (and the second is alarmed).
    async fn paid(
        &self,
        order: &OrderItem,
        arrived: Arrived<'_>,
        mark: TransactWriteItem,
        payments: &impl PaymentProvider,
        mail: &MailQueue,
        now: i64,
    ) -> Result<(), ApiError> {
        let matches = rules::payment_matches(arrived.amount, arrived.currency, order);
        match order.status {
            OrderStatus::PendingPayment if matches => {
                let transition = state::next(order.status, Action::Pay).map_err(invalid)?;
                let mut also = vec![mark.clone()];
                if !order.user_id.is_empty() {
                    // The account's count of paid orders and what they cost, with the payment.
                    also.push(crate::accounts::repo::count_purchase(
                        &self.table,
                        &order.user_id,
                        order.total_cents,
                    )?);
                }
                let changes = Changes {
                    payment_status: Some("succeeded".to_owned()),
                    also,
                    ..Changes::default()
                };
                if repo::apply(&self.table, order, transition, &changes, now)
                    .await?
                    .is_some()
                {
                    crate::emf::payment_received(&order.id, order.total_cents);
                    let job = MailJob::OrderConfirmation {
                        order_id: order.id.clone(),
                    };
                    queue(mail, job).await;
                    return Ok(());
                }
                // Moved meanwhile (expired or cancelled), or this event was handled: act on
                // what the order is now; the mark keeps a handled event from acting twice.
                match repo::get(&self.table, &order.id).await? {
                    Some(now_order) if now_order.status != OrderStatus::PendingPayment => {
                        Box::pin(self.paid(&now_order, arrived, mark, payments, mail, now)).await
                    }
                    _ => Ok(()),
                }
            }
            OrderStatus::PendingPayment | OrderStatus::Expired | OrderStatus::Cancelled => {
                let reason = if matches {
                    RefundReason::LatePayment
                } else {
                    crate::emf::payment_mismatch(&order.id);
                    tracing::error!(order_id = %order.id, "a payment that is not the order's total arrived; it is refunded");
                    RefundReason::WrongAmount
                };
                let amount = arrived.amount.unwrap_or(order.total_cents);
                let refund = RefundItem::new(order, amount, reason, now);
                if repo::owe_refund(&self.table, order, order.status, &refund, mark, now).await? {
                    self.ask_refund(&refund, payments, now).await;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// What a `payment_intent.succeeded` says arrived.
#[derive(Debug, Clone, Copy)]
struct Arrived<'a> {
    amount: Option<i64>,
    currency: Option<&'a str>,
}
