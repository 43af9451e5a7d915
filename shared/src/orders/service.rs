//! The orders' rules: checkout, reading and listing, the moves of an order, and what a payment
//! provider's events do to it. Services take a [`Principal`] and domain values; the HTTP layer
//! turns requests into these calls.

use super::model::{NewOrder, Order, OrderItem, Payment, RefundStatus, Shipment};
use super::repo::{self, Changes, CheckoutRefused, Listing};
use super::rules;
use super::state::{self, Action, Actor, OrderStatus};
use crate::auth::Principal;
use crate::config::Config;
use crate::cursor::{Page, PageRequest};
use crate::db::Table;
use crate::error::{ApiError, ErrorCode};
use crate::ids::Id;
use crate::mail::{MailJob, MailQueue};
use crate::payments::PaymentProvider;
use crate::payments::webhook::Event;
use crate::secrets::Keys;

/// The orders service. What takes or gives back money is handed the payment provider, and what
/// sends email the mail queue, by the function that needs them: reading orders needs neither.
#[derive(Debug, Clone)]
pub struct Orders {
    table: Table,
    currency: String,
    payment_timeout_secs: i64,
    max_unpaid_orders: i64,
}

pub use super::model::{ExpiryRun, OrderStats};

/// `{"order": ...}`, as every route that returns one order answers.
#[derive(Debug, serde::Serialize)]
pub struct OrderEnvelope {
    pub order: Order,
}

impl Orders {
    pub fn new(table: Table, config: &Config) -> Self {
        Self {
            table,
            currency: config.currency.clone(),
            payment_timeout_secs: config.order_payment_timeout_secs,
            max_unpaid_orders: config.max_unpaid_orders,
        }
    }

    /// `POST /orders`: prices copied from the products, a payment asked of the provider, then
    /// the order written and the stock of every line taken in one transaction. The payment comes
    /// first so that a provider that cannot be reached takes no stock (503); a payment left
    /// behind by a refused checkout is withdrawn.
    pub async fn checkout(
        &self,
        principal: &Principal,
        request: NewOrder,
        payments: &impl PaymentProvider,
        now: i64,
    ) -> Result<OrderEnvelope, ApiError> {
        rules::check_lines(&request.items)?;
        let ids: Vec<String> = request
            .items
            .iter()
            .map(|l| l.product_id.to_string())
            .collect();
        let products = repo::products(&self.table, &ids).await?;
        let lines = rules::price_lines(&request.items, &products)?;
        // Known before the transaction, this saves asking for a payment that cannot be kept.
        let short = rules::short_lines(&lines, &products);
        if !short.is_empty() {
            return Err(rules::out_of_stock(&lines, &short));
        }

        let total = rules::total(&lines);
        rules::check_chargeable(total, &self.currency)?;
        if repo::unpaid(&self.table, &principal.user_id).await? >= self.max_unpaid_orders {
            return Err(self.too_many_unpaid());
        }
        let id = Id::new();
        let intent = payments
            .create_intent(id.as_str(), total, &self.currency)
            .await?;
        let prices: Vec<i64> = lines.iter().map(|l| l.unit_price_cents).collect();
        let order = OrderItem::new(
            &id,
            &principal.user_id,
            lines,
            &self.currency,
            request.shipping_address,
            Payment {
                provider: payments.name().to_owned(),
                payment_intent_id: intent.id.clone(),
                client_secret: intent.client_secret,
                status: intent.status,
            },
            now,
            now + self.payment_timeout_secs,
        );
        let refused = match repo::place(&self.table, &order, &prices, self.max_unpaid_orders).await
        {
            Ok(Ok(())) => {
                crate::emf::order_placed(order.id.as_str());
                return Ok(OrderEnvelope {
                    order: order.view(),
                });
            }
            Ok(Err(refused)) => Ok(refused),
            Err(err) => Err(err),
        };
        if let Err(err) = payments.cancel_intent(&intent.id).await {
            tracing::warn!(error = %crate::error::cause_chain(&err), "payment of a refused checkout not withdrawn");
        }
        match refused? {
            // The oldest of them expires within the payment timeout, if it is not paid first.
            CheckoutRefused::TooManyUnpaid => Err(self.too_many_unpaid()),
            CheckoutRefused::OutOfStock(short) => Err(rules::out_of_stock(&order.lines, &short)),
            CheckoutRefused::Changed(changed) => Err(ApiError::Conflict {
                code: ErrorCode::Conflict,
                detail: format!(
                    "{} changed while the order was placed; read the products again.",
                    changed
                        .iter()
                        .map(|i| format!("items[{i}]"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    /// `429`: the customer has as many unpaid orders as they may. The oldest of them is paid or
    /// expires within the payment timeout.
    fn too_many_unpaid(&self) -> ApiError {
        ApiError::RateLimited {
            retry_after: std::time::Duration::from_secs(self.payment_timeout_secs.unsigned_abs()),
        }
    }

    /// The order `id` if `principal` may see it (its owner, or an admin); else `404`.
    async fn visible(&self, principal: &Principal, id: &Id) -> Result<OrderItem, ApiError> {
        match repo::get(&self.table, id.as_str()).await? {
            Some(order) if rules::may_see(principal, &order.user_id) => Ok(order),
            _ => Err(ApiError::NotFound),
        }
    }

    /// `GET /orders/{id}`.
    pub async fn get(&self, principal: &Principal, id: &Id) -> Result<OrderEnvelope, ApiError> {
        Ok(OrderEnvelope {
            order: self.visible(principal, id).await?.view(),
        })
    }

    /// `GET /orders`: the caller's own orders, newest first.
    pub async fn list_mine(
        &self,
        principal: &Principal,
        page: PageRequest,
        keys: &Keys,
        now: i64,
    ) -> Result<Page<Order>, ApiError> {
        let listing = Listing::Customer(principal.user_id.clone());
        self.page(listing, page, keys, now).await
    }

    /// `GET /admin/orders`: every order, or those in `status`, newest first; admins only.
    pub async fn list_all(
        &self,
        principal: &Principal,
        status: Option<OrderStatus>,
        page: PageRequest,
        keys: &Keys,
        now: i64,
    ) -> Result<Page<Order>, ApiError> {
        principal.require_admin()?;
        let listing = status.map_or(Listing::All, Listing::Status);
        self.page(listing, page, keys, now).await
    }

    /// The expiry job: every order still waiting for its payment at `now` past its `expires_at`
    /// becomes `expired` and gives its stock back, each in its own transaction conditional on
    /// it still waiting, page by page. It stops while `time_left` says there is time for a
    /// page more; the next run picks up the rest. Two runs at once, or a run racing a payment,
    /// each move an order at most once: the loser's condition fails.
    pub async fn expire_due(
        &self,
        now: i64,
        time_left: impl Fn() -> std::time::Duration,
    ) -> Result<ExpiryRun, ApiError> {
        /// A page's worth of transactions, with room to spare.
        const MARGIN: std::time::Duration = std::time::Duration::from_secs(3);
        let mut run = ExpiryRun::default();
        let mut start = None;
        loop {
            if time_left() < MARGIN {
                run.stopped_early = true;
                return Ok(run);
            }
            let (due, next) = repo::due(&self.table, now, 25, start).await?;
            for order in &due {
                let Ok(transition) = state::next(order.status, Action::Expire) else {
                    tracing::warn!(order_id = %order.id, order.status = ?order.status, "listed as due but not pending; skipped");
                    run.skipped += 1;
                    continue;
                };
                match repo::apply(&self.table, order, transition, &Changes::default(), now).await? {
                    Some(_) => run.expired += 1,
                    None => run.lost_races += 1,
                }
            }
            match next {
                Some(key) => start = Some(key),
                None => return Ok(run),
            }
        }
    }

    /// `GET /admin/stats`'s figures about orders; admins only.
    pub async fn stats(&self, principal: &Principal, now: i64) -> Result<OrderStats, ApiError> {
        principal.require_admin()?;
        let midnight = now - now.rem_euclid(86_400);
        let today = repo::created_since(
            &self.table,
            u64::try_from(midnight).unwrap_or(0).saturating_mul(1000),
        )
        .await?;
        let revenue_today_cents = today
            .iter()
            .filter(|(status, _)| {
                matches!(
                    status,
                    OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered
                )
            })
            .map(|(_, total)| total)
            .sum();
        let mut orders_by_status = std::collections::BTreeMap::new();
        for status in OrderStatus::ALL {
            let count = repo::count(&self.table, &Listing::Status(status)).await?;
            orders_by_status.insert(status.as_str(), count);
        }
        Ok(OrderStats {
            orders_today: today.len() as u64,
            revenue_today_cents,
            orders_by_status,
        })
    }

    /// One page of a listing; a cursor is valid only for the listing that issued it.
    async fn page(
        &self,
        listing: Listing,
        page: PageRequest,
        keys: &Keys,
        now: i64,
    ) -> Result<Page<Order>, ApiError> {
        let limit = page.limit as usize;
        let scope = match &listing {
            Listing::Customer(user) => format!("orders|customer|{user}"),
            Listing::Status(status) => format!("orders|status|{}", status.as_str()),
            Listing::All => "orders|all".to_owned(),
        };
        let found = keys
            .cursors()
            .read_page(&scope, page.cursor.as_deref(), now, |start| {
                repo::list(&self.table, &listing, limit, start)
            })
            .await?;
        Ok(found.map(|order| order.view()))
    }

    /// `POST /orders/{id}/cancel`: by its owner while unpaid, by an admin until it ships. The
    /// stock comes back in the same transaction; a paid order's money is refunded.
    pub async fn cancel(
        &self,
        principal: &Principal,
        id: &Id,
        payments: &impl PaymentProvider,
        now: i64,
    ) -> Result<OrderEnvelope, ApiError> {
        let order = self.visible(principal, id).await?;
        let cancel = Action::Cancel(rules::actor(principal));
        let transition = state::next(order.status, cancel).map_err(invalid)?;
        let changes = Changes {
            refund_status: transition.refunds.then_some(RefundStatus::Pending),
            ..Changes::default()
        };
        let mut cancelled = self.moved(&order, transition, &changes, now).await?;
        if !transition.refunds {
            // Nobody can pay it any more. If the withdrawal fails and money still arrives, the
            // webhook refunds it (money for a cancelled order goes back).
            if let Err(err) = payments
                .cancel_intent(&order.payment.payment_intent_id)
                .await
            {
                tracing::warn!(error = %crate::error::cause_chain(&err), order_id = %order.id, "payment of a cancelled order not withdrawn");
            }
        } else {
            match self.refund(&order, payments, now).await {
                Ok(refund_id) => cancelled.refund_id = Some(refund_id),
                // The order is cancelled and says a refund is pending; asking again is safe
                // (the provider's idempotency key is the order's).
                Err(err) => {
                    tracing::error!(error = %crate::error::cause_chain(&err), order_id = %order.id, "refund not requested");
                }
            }
        }
        Ok(OrderEnvelope {
            order: cancelled.view(),
        })
    }

    /// `POST /admin/orders/{id}/ship`: `paid` → `shipped`, and the shipping notice queued.
    pub async fn ship(
        &self,
        id: &Id,
        shipment: Shipment,
        mail: &MailQueue,
        now: i64,
    ) -> Result<OrderEnvelope, ApiError> {
        let order = repo::get(&self.table, id.as_str())
            .await?
            .ok_or(ApiError::NotFound)?;
        let transition = state::next(order.status, Action::Ship).map_err(invalid)?;
        let changes = Changes {
            tracking_number: Some(shipment.tracking_number.as_str().to_owned()),
            ..Changes::default()
        };
        let shipped = self.moved(&order, transition, &changes, now).await?;
        queue(
            mail,
            MailJob::ShippingNotice {
                order_id: order.id.clone(),
            },
        )
        .await;
        Ok(OrderEnvelope {
            order: shipped.view(),
        })
    }

    /// `POST /admin/orders/{id}/deliver`: `shipped` → `delivered`.
    pub async fn deliver(&self, id: &Id, now: i64) -> Result<OrderEnvelope, ApiError> {
        let order = repo::get(&self.table, id.as_str())
            .await?
            .ok_or(ApiError::NotFound)?;
        let transition = state::next(order.status, Action::Deliver).map_err(invalid)?;
        let delivered = self
            .moved(&order, transition, &Changes::default(), now)
            .await?;
        Ok(OrderEnvelope {
            order: delivered.view(),
        })
    }

    /// Applies a move; one that lost a race to another is reported from the state that won.
    async fn moved(
        &self,
        order: &OrderItem,
        transition: state::Transition,
        changes: &Changes,
        now: i64,
    ) -> Result<OrderItem, ApiError> {
        match repo::apply(&self.table, order, transition, changes, now).await? {
            Some(moved) => Ok(moved),
            None => {
                let current = repo::get(&self.table, &order.id)
                    .await?
                    .map_or(transition.from, |o| o.status);
                let action = match transition.to {
                    OrderStatus::Paid => Action::Pay,
                    OrderStatus::Shipped => Action::Ship,
                    OrderStatus::Delivered => Action::Deliver,
                    OrderStatus::Expired => Action::Expire,
                    _ => Action::Cancel(Actor::Shop),
                };
                Err(invalid(state::InvalidTransition {
                    from: current,
                    action,
                }))
            }
        }
    }

    /// What a provider's event does, once per event id. `Ok` means handled (or nothing to do);
    /// an error makes the provider deliver the event again, so the delivery is forgotten first.
    pub async fn handle_event(
        &self,
        event: &Event,
        payments: &impl PaymentProvider,
        mail: &MailQueue,
        now: i64,
    ) -> Result<(), ApiError> {
        if !repo::first_delivery(&self.table, &event.id, now).await? {
            tracing::info!(event.kind = %event.kind, "event already handled");
            return Ok(());
        }
        let handled = self.act_on(event, payments, mail, now).await;
        if handled.is_err() {
            repo::forget_delivery(&self.table, &event.id).await?;
        }
        handled
    }

    async fn act_on(
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
        match event.kind.as_str() {
            "payment_intent.succeeded" => self.paid(&order, event, payments, mail, now).await,
            // Stripe's own status after a failure is `requires_payment_method`, the same as
            // before any attempt: the order says what happened instead.
            "payment_intent.payment_failed" => {
                repo::record_payment_status(
                    &self.table,
                    &order.id,
                    &intent_id,
                    "payment_failed",
                    now,
                )
                .await?;
                crate::emf::payment_failed(&order.id);
                Ok(())
            }
            "charge.refunded" => {
                repo::set_refund(&self.table, &order.id, RefundStatus::Refunded, None, now).await
            }
            _ => Ok(()),
        }
    }

    /// Money arrived: the order is paid if it still waits for it, with the right amount and
    /// currency; for an order that has expired or been cancelled it is refunded.
    async fn paid(
        &self,
        order: &OrderItem,
        event: &Event,
        payments: &impl PaymentProvider,
        mail: &MailQueue,
        now: i64,
    ) -> Result<(), ApiError> {
        let object = &event.data.object;
        let amount_matches = object.amount == Some(order.total_cents)
            && object
                .currency
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(&order.currency));
        if !amount_matches {
            tracing::error!(order_id = %order.id, "payment does not match the order's total; not marked paid");
            return Ok(());
        }
        match order.status {
            OrderStatus::PendingPayment => {
                let transition = state::next(order.status, Action::Pay).map_err(invalid)?;
                let changes = Changes {
                    payment_status: Some("succeeded".to_owned()),
                    ..Changes::default()
                };
                match repo::apply(&self.table, order, transition, &changes, now).await? {
                    Some(_) => {
                        crate::emf::payment_received(&order.id, order.total_cents);
                        queue(
                            mail,
                            MailJob::OrderConfirmation {
                                order_id: order.id.clone(),
                            },
                        )
                        .await;
                        Ok(())
                    }
                    // Expired or cancelled meanwhile: act on what it is now.
                    None => match repo::get(&self.table, &order.id).await? {
                        Some(now_order) if now_order.status != OrderStatus::Paid => {
                            Box::pin(self.paid(&now_order, event, payments, mail, now)).await
                        }
                        _ => Ok(()),
                    },
                }
            }
            OrderStatus::Expired | OrderStatus::Cancelled if order.refund_status.is_none() => {
                // Money came in for stock no longer held: it goes back.
                self.refund(order, payments, now).await.map(|_| ())
            }
            _ => Ok(()),
        }
    }
}

impl Orders {
    /// Asks the provider to give an order's money back, and records the refund as pending.
    async fn refund(
        &self,
        order: &OrderItem,
        payments: &impl PaymentProvider,
        now: i64,
    ) -> Result<String, ApiError> {
        let refund_id = payments
            .refund(&order.payment.payment_intent_id, &order.id)
            .await?;
        repo::set_refund(
            &self.table,
            &order.id,
            RefundStatus::Pending,
            Some(&refund_id),
            now,
        )
        .await?;
        Ok(refund_id)
    }
}

/// Queues an email; a failure is logged and never undoes what was done.
async fn queue(mail: &MailQueue, job: MailJob) {
    if let Err(err) = mail.send(&job).await {
        tracing::error!(mail.kind = job.kind(), error = %crate::error::cause_chain(&err), "email not queued");
    }
}

fn invalid(err: state::InvalidTransition) -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::InvalidTransition,
        detail: err.detail(),
    }
}
