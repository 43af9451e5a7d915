//! The orders' rules: checkout, reading and listing, the moves of an order and the refunds they
//! owe (what a payment provider's events do is in `events`). Services take a [`Principal`] and
//! domain values; the HTTP layer turns requests into these calls.

use super::guest;
use super::model::{Order, OrderItem, Shipment};
use super::refunds::{self, Outcome, RefundItem, RefundReason};
use super::repo::{self, Changes, Listing};
use super::rules;
use super::state::{self, Action, Actor, OrderStatus};
use crate::auth::Principal;
use crate::config::Config;
use crate::cursor::{Page, PageRequest};
use crate::db::Table;
use crate::discounts::Discounts;
use crate::error::{ApiError, ErrorCode};
use crate::ids::Id;
use crate::mail::{MailJob, MailQueue};
use crate::payments::PaymentProvider;
use crate::secrets::Keys;
use crate::shop::Shop;

/// The orders service. What takes or gives back money is handed the payment provider, and what
/// sends email the mail queue, by the function that needs them: reading orders needs neither.
#[derive(Debug, Clone)]
pub struct Orders {
    pub(super) table: Table,
    pub(super) shop: Shop,
    pub(super) discounts: Discounts,
    pub(super) currency: String,
    pub(super) payment_timeout_secs: i64,
    pub(super) max_unpaid_orders: i64,
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
            shop: Shop::new(table.clone(), config),
            discounts: Discounts::new(table.clone()),
            table,
            currency: config.currency.clone(),
            payment_timeout_secs: config.order_payment_timeout_secs,
            max_unpaid_orders: config.max_unpaid_orders,
        }
    }

    /// `429`: the customer has as many unpaid orders as they may. The oldest of them is paid or
    /// expires within the payment timeout.
    pub(super) fn too_many_unpaid(&self) -> ApiError {
        ApiError::RateLimited {
            retry_after: std::time::Duration::from_secs(self.payment_timeout_secs.unsigned_abs()),
        }
    }

    /// The order `id` if `principal` may see it (its owner, or the shop's staff and admins);
    /// else `404`.
    async fn visible(&self, principal: &Principal, id: &Id) -> Result<OrderItem, ApiError> {
        match repo::get(&self.table, id.as_str()).await? {
            Some(order) if rules::may_see(principal, &order.user_id) => Ok(order),
            _ => Err(ApiError::NotFound),
        }
    }

    /// `GET /orders/{id}`: the order with its refunds, if `principal` may see it (its owner,
    /// or the shop's staff and admins); else `404`.
    pub async fn get(&self, principal: &Principal, id: &Id) -> Result<OrderEnvelope, ApiError> {
        match refunds::order_with_refunds(&self.table, id.as_str()).await? {
            Some((order, refunds)) if rules::may_see(principal, &order.user_id) => {
                let mut view = order.view(&principal.user_id).with_refunds(&refunds);
                if principal.is_shop() {
                    self.name_customers(std::slice::from_mut(&mut view)).await?;
                }
                Ok(OrderEnvelope { order: view })
            }
            _ => Err(ApiError::NotFound),
        }
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
        self.page(&principal.user_id, listing, page, keys, now)
            .await
    }

    /// `GET /admin/orders`: every order, or those in `status`, newest first; staff and admins.
    pub async fn list_all(
        &self,
        principal: &Principal,
        status: Option<OrderStatus>,
        page: PageRequest,
        keys: &Keys,
        now: i64,
    ) -> Result<Page<Order>, ApiError> {
        principal.require_staff()?;
        let listing = status.map_or(Listing::All, Listing::Status);
        let mut found = self
            .page(&principal.user_id, listing, page, keys, now)
            .await?;
        self.name_customers(&mut found.items).await?;
        Ok(found)
    }

    /// `GET /admin/orders/{id}/timeline`: every change of the order, oldest first, each with
    /// who made it; staff and admins.
    pub async fn timeline(
        &self,
        principal: &Principal,
        id: &Id,
    ) -> Result<super::timeline::Timeline, ApiError> {
        principal.require_staff()?;
        let events = super::timeline::of(&self.table, id.as_str())
            .await?
            .ok_or(ApiError::NotFound)?;
        Ok(super::timeline::Timeline {
            order_id: id.to_string(),
            events,
        })
    }

    /// `GET /admin/customers/{id}`'s orders: the account's latest `limit`, newest first; staff
    /// and admins.
    pub async fn latest_of(
        &self,
        principal: &Principal,
        user_id: &Id,
        limit: usize,
    ) -> Result<Vec<Order>, ApiError> {
        principal.require_staff()?;
        let listing = Listing::Customer(user_id.as_str().to_owned());
        let (orders, _) = repo::list(&self.table, &listing, limit, None).await?;
        let mut views: Vec<Order> = orders.iter().map(|o| o.view(SHOP)).collect();
        self.name_customers(&mut views).await?;
        Ok(views)
    }

    /// Gives the shop's view of `orders` their `customer_email`: a guest's own, a customer's
    /// account's (read with one batch).
    async fn name_customers(&self, orders: &mut [Order]) -> Result<(), ApiError> {
        let ids: Vec<String> = orders.iter().filter_map(|o| o.user_id.clone()).collect();
        let emails = if ids.is_empty() {
            Default::default()
        } else {
            crate::accounts::repo::emails_of(&self.table, ids).await?
        };
        for order in orders {
            order.customer_email = order.email.clone().or_else(|| {
                order
                    .user_id
                    .as_ref()
                    .and_then(|id| emails.get(id).cloned())
            });
        }
        Ok(())
    }

    /// The expiry job: every order still waiting for its payment at `now` past its `expires_at`
    /// becomes `expired` and gives its stock back, each in its own transaction conditional on
    /// it still waiting, page by page. It stops while `time_left` says there is time for a
    /// page more; the next run picks up the rest. Two runs at once, or a run racing a payment,
    /// each move an order at most once: the loser's condition fails.
    ///
    /// Each expired order's PaymentIntent is withdrawn, so that a payment started late is not
    /// taken at all; while the provider cannot be reached, the run stops trying (money that
    /// still arrives is refunded by the webhook).
    pub async fn expire_due(
        &self,
        now: i64,
        payments: &impl PaymentProvider,
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
                    Some(_) => {
                        run.expired += 1;
                        if !run.provider_down {
                            run.provider_down = !withdraw(payments, order).await;
                        }
                    }
                    None => run.lost_races += 1,
                }
            }
            match next {
                Some(key) => start = Some(key),
                None => return Ok(run),
            }
        }
    }

    /// The refunds job: every refund the provider has not taken yet and whose next attempt is
    /// due, asked again (see [`refunds`]).
    pub async fn retry_refunds(
        &self,
        payments: &impl PaymentProvider,
        now: i64,
        time_left: impl Fn() -> std::time::Duration,
    ) -> Result<refunds::RetryRun, ApiError> {
        refunds::retry_due(&self.table, payments, now, time_left).await
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
        let sold: Vec<&repo::Brief> = today
            .iter()
            .filter(|order| {
                matches!(
                    order.status,
                    OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered
                )
            })
            .collect();
        let sum = |amount: fn(&repo::Brief) -> i64| sold.iter().map(|o| amount(o)).sum();
        let mut orders_by_status = std::collections::BTreeMap::new();
        for status in OrderStatus::ALL {
            let count = repo::count(&self.table, &Listing::Status(status)).await?;
            orders_by_status.insert(status.as_str(), count);
        }
        Ok(OrderStats {
            orders_today: today.len() as u64,
            revenue_today_cents: sum(|o| o.total_cents),
            discount_today_cents: sum(|o| o.discount_cents),
            shipping_today_cents: sum(|o| o.shipping_cents),
            tax_today_cents: sum(|o| o.tax_cents),
            orders_by_status,
        })
    }

    /// One page of a listing; a cursor is valid only for the listing that issued it.
    async fn page(
        &self,
        viewer: &str,
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
        Ok(found.map(|order| order.view(viewer)))
    }

    /// `POST /orders/{id}/cancel`: by its owner while unpaid, by an admin until it ships (staff
    /// read orders but do not cancel them: `403`). The stock comes back in the same
    /// transaction; a paid order's refund is written with it, then asked of the provider (and
    /// by the refunds job again until the provider settles it).
    pub async fn cancel(
        &self,
        principal: &Principal,
        id: &Id,
        payments: &impl PaymentProvider,
        now: i64,
    ) -> Result<OrderEnvelope, ApiError> {
        let order = self.visible(principal, id).await?;
        if !rules::may_cancel(principal, &order.user_id) {
            return Err(ApiError::Forbidden);
        }
        let audit = principal
            .is_shop()
            .then(|| (principal.clone(), "order.cancel"));
        let cancelled = self
            .cancel_order(order, rules::actor(principal), audit, payments, now)
            .await?;
        Ok(OrderEnvelope {
            order: cancelled.view(&principal.user_id),
        })
    }

    /// `POST /orders/{id}/cancel` with `Order-Token`: its guest cancels it while it is unpaid.
    pub async fn cancel_with_token(
        &self,
        id: &Id,
        token: &str,
        payments: &impl PaymentProvider,
        now: i64,
    ) -> Result<OrderEnvelope, ApiError> {
        let order = self.by_token(id, token).await?;
        let cancelled = self
            .cancel_order(order, Actor::Owner, None, payments, now)
            .await?;
        Ok(OrderEnvelope {
            order: cancelled.guest_view(),
        })
    }

    /// `GET /orders/{id}` with `Order-Token`: the order its token opens, with its refunds.
    pub async fn get_with_token(&self, id: &Id, token: &str) -> Result<OrderEnvelope, ApiError> {
        match refunds::order_with_refunds(&self.table, id.as_str()).await? {
            Some((order, refunds)) if guest::opens(&order, token) => Ok(OrderEnvelope {
                order: order.guest_view().with_refunds(&refunds),
            }),
            _ => Err(ApiError::NotFound),
        }
    }

    /// The order `id` if `token` is its own; else `404`, as for an order that does not exist.
    async fn by_token(&self, id: &Id, token: &str) -> Result<OrderItem, ApiError> {
        match repo::get(&self.table, id.as_str()).await? {
            Some(order) if guest::opens(&order, token) => Ok(order),
            _ => Err(ApiError::NotFound),
        }
    }

    /// Cancels `order` as `actor`: its stock (and its code's redemption) back in the same
    /// transaction; a paid order's refund written with it, then asked of the provider.
    async fn cancel_order(
        &self,
        order: OrderItem,
        actor: Actor,
        audit: Option<(Principal, &'static str)>,
        payments: &impl PaymentProvider,
        now: i64,
    ) -> Result<OrderItem, ApiError> {
        let cancel = Action::Cancel(actor);
        let transition = state::next(order.status, cancel).map_err(invalid)?;
        // What earlier refunds of the order have not given back yet.
        let owed = order.total_cents - order.refunded_cents;
        let refund = (transition.refunds && owed > 0)
            .then(|| RefundItem::new(&order, owed, RefundReason::Cancelled, now));
        let changes = match &refund {
            Some(refund) => Changes {
                refund_cents: Some(refund.amount_cents),
                also: vec![refund.put(&self.table)?],
                audit,
                ..Changes::default()
            },
            None => Changes {
                audit,
                ..Changes::default()
            },
        };
        let mut cancelled = self.moved(&order, transition, &changes, now).await?;
        match refund {
            None if transition.refunds => {}
            None => {
                // Nobody can pay it any more. If the withdrawal fails and money still arrives,
                // the webhook refunds it (money for a cancelled order goes back).
                withdraw(payments, &order).await;
            }
            Some(refund) => {
                let outcome = self.ask_refund(&refund, payments, now).await;
                settled_tally(&refund, &outcome).apply_to(&mut cancelled);
            }
        }
        Ok(cancelled)
    }

    /// Asks the provider for a refund just written; what the attempt recorded (`Retry` when it
    /// recorded nothing). A failure here leaves the refund due: the refunds job asks again.
    pub(super) async fn ask_refund(
        &self,
        refund: &RefundItem,
        payments: &impl PaymentProvider,
        now: i64,
    ) -> Outcome {
        match refunds::attempt(&self.table, refund, payments, now).await {
            Ok(outcome) => outcome,
            Err(err) => {
                tracing::error!(error = %crate::error::cause_chain(&err), refund.id = %refund.id, "refund attempt not recorded; the refunds job asks again");
                Outcome::Retry
            }
        }
    }

    /// `POST /admin/orders/{id}/ship`: `paid` → `shipped`, and the shipping notice queued.
    pub async fn ship(
        &self,
        principal: &Principal,
        id: &Id,
        shipment: Shipment,
        mail: &MailQueue,
        now: i64,
    ) -> Result<OrderEnvelope, ApiError> {
        principal.require_staff()?;
        let order = repo::get(&self.table, id.as_str())
            .await?
            .ok_or(ApiError::NotFound)?;
        let transition = state::next(order.status, Action::Ship).map_err(invalid)?;
        let changes = Changes {
            tracking_number: Some(shipment.tracking_number.as_str().to_owned()),
            audit: Some((principal.clone(), "order.ship")),
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
            order: shipped.view(SHOP),
        })
    }

    /// `POST /admin/orders/{id}/deliver`: `shipped` → `delivered`.
    pub async fn deliver(
        &self,
        principal: &Principal,
        id: &Id,
        now: i64,
    ) -> Result<OrderEnvelope, ApiError> {
        principal.require_staff()?;
        let order = repo::get(&self.table, id.as_str())
            .await?
            .ok_or(ApiError::NotFound)?;
        let transition = state::next(order.status, Action::Deliver).map_err(invalid)?;
        let changes = Changes {
            audit: Some((principal.clone(), "order.deliver")),
            ..Changes::default()
        };
        let delivered = self.moved(&order, transition, &changes, now).await?;
        Ok(OrderEnvelope {
            order: delivered.view(SHOP),
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
}

/// What an attempt's outcome did to the counts of the refund's order.
pub(super) fn settled_tally(refund: &RefundItem, outcome: &Outcome) -> refunds::Tally {
    let state = match outcome {
        Outcome::Succeeded(_) => refunds::RefundState::Succeeded,
        Outcome::Failed => refunds::RefundState::Failed,
        Outcome::Settling(_) | Outcome::Retry => refunds::RefundState::Pending,
    };
    refunds::Tally::settling(state, refund.amount_cents)
}

/// Withdraws an order's payment that nobody may make any more; a failure is logged (money
/// that still arrives is refunded by the webhook). `false`: the provider could not be reached.
async fn withdraw(payments: &impl PaymentProvider, order: &OrderItem) -> bool {
    match payments
        .cancel_intent(&order.payment.payment_intent_id)
        .await
    {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(error = %crate::error::cause_chain(&err), order_id = %order.id, "payment of an order that cannot be paid any more not withdrawn");
            !matches!(err, ApiError::ServiceUnavailable(_))
        }
    }
}

/// The viewer of what the shop's own moves answer (ship, deliver): nobody's client secret.
const SHOP: &str = "";

/// Queues an email, trying three times over about a second (the SDK retries each try too); a
/// failure is logged and never undoes what was done.
pub(super) async fn queue(mail: &MailQueue, job: MailJob) {
    let mut wait = std::time::Duration::from_millis(100);
    for attempt in 1..=3 {
        match mail.send(&job).await {
            Ok(()) => return,
            Err(err) if attempt == 3 => {
                tracing::error!(mail.kind = job.kind(), error = %crate::error::cause_chain(&err), "email not queued");
            }
            Err(err) => {
                tracing::warn!(mail.kind = job.kind(), error = %crate::error::cause_chain(&err), "email not queued yet; trying again");
                tokio::time::sleep(wait).await;
                wait *= 4;
            }
        }
    }
}

pub(super) fn invalid(err: state::InvalidTransition) -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::InvalidTransition,
        detail: err.detail(),
    }
}
