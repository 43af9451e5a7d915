//! The orders' rules: checkout, reading and listing, the moves of an order and the refunds they
//! owe (what a payment provider's events do is in `events`). Services take a [`Principal`] and
//! domain values; the HTTP layer turns requests into these calls.

use std::collections::HashMap;

use super::model::{
    Destination, Line, NewLine, NewOrder, Order, OrderItem, Payment, QuoteRequest, RefundStatus,
    Shipment,
};
use super::quote::{self, Applied, Quote, QuoteEnvelope};
use super::refunds::{self, Outcome, RefundItem, RefundReason};
use super::repo::{self, Changes, CheckoutRefused, Listing};
use super::rules;
use super::state::{self, Action, Actor, OrderStatus};
use crate::auth::Principal;
use crate::catalog::model::ProductItem;
use crate::catalog::stock::{self, Change, PlanRefused, Requires};
use crate::config::Config;
use crate::cursor::{Page, PageRequest};
use crate::db::Table;
use crate::discounts::Discounts;
use crate::discounts::model::Code;
use crate::error::{ApiError, ErrorCode};
use crate::ids::Id;
use crate::mail::{MailJob, MailQueue};
use crate::payments::PaymentProvider;
use crate::secrets::Keys;
use crate::shop::Shop;
use crate::shop::model::Slug;

/// The orders service. What takes or gives back money is handed the payment provider, and what
/// sends email the mail queue, by the function that needs them: reading orders needs neither.
#[derive(Debug, Clone)]
pub struct Orders {
    pub(super) table: Table,
    shop: Shop,
    discounts: Discounts,
    currency: String,
    payment_timeout_secs: i64,
    max_unpaid_orders: i64,
}

pub use super::model::{ExpiryRun, OrderStats};

/// How a checkout's transaction ended.
enum Placed {
    Written,
    /// An earlier attempt at this checkout placed it.
    Exists,
    Refused(Refusal),
}

enum Refusal {
    TooManyUnpaid,
    /// The discount code's redemption was refused: why.
    Discount(ApiError),
    OutOfStock(Vec<(usize, i64)>),
    Changed(Vec<usize>),
}

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

    /// `POST /orders`: prices copied from the products, a payment asked of the provider, then
    /// the order written and the stock of every line taken in one transaction. The payment comes
    /// first so that a provider that cannot be reached takes no stock (503); a payment left
    /// behind by a refused checkout is withdrawn.
    ///
    /// `id` is the order's: the same for every attempt at one request (it follows from the
    /// Idempotency-Key), so an attempt after one that placed the order but could not say so
    /// answers that order, and Stripe (whose key is the order id) the same PaymentIntent.
    pub async fn checkout(
        &self,
        principal: &Principal,
        id: Id,
        request: NewOrder,
        payments: &impl PaymentProvider,
        now: i64,
    ) -> Result<OrderEnvelope, ApiError> {
        rules::check_lines(&request.items)?;
        // First: an attempt whose order was placed is answered with it, though the stock or
        // the code it took may leave none for another attempt now.
        if let Some(placed) = self.placed_before(principal, &id).await? {
            return Ok(placed);
        }
        let (lines, mut products) = self.priced(&request.items).await?;
        // Known before the transaction, this saves asking for a payment that cannot be kept.
        let sales = rules::sales(id.as_str(), &lines);
        if let Err(PlanRefused::Short(short)) = stock::plan(&products, &sales, now) {
            return Err(rules::out_of_stock(&request.items, &lines, &short));
        }

        let email = self.email_of(principal).await?;
        let customer = crate::discounts::keys::customer(&email);
        let priced = self
            .price(
                lines,
                &products,
                &request.shipping_address.destination(),
                request.shipping_method_id.as_ref(),
                request.discount_code.as_ref(),
                Some(customer),
                now,
            )
            .await?;
        let (quote, code) = priced;
        if let Some(expected) = request.expected_total_cents
            && expected.get() != quote.charges.total_cents
        {
            return Err(quote.changed(&self.currency));
        }
        let total = quote.charges.total_cents;
        rules::check_chargeable(total, &self.currency)?;
        if repo::unpaid(&self.table, &principal.user_id).await? >= self.max_unpaid_orders {
            return Err(self.too_many_unpaid());
        }
        let intent = payments
            .create_intent(id.as_str(), total, &self.currency)
            .await?;
        let order = OrderItem::new(
            &id,
            &principal.user_id,
            quote.lines,
            quote.charges,
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
        let refused = self
            .place(&order, &sales, &mut products, code.as_ref(), now)
            .await;
        let refused = match refused {
            Ok(Placed::Written) => {
                crate::emf::order_placed(order.id.as_str());
                return Ok(OrderEnvelope {
                    order: order.view(&principal.user_id),
                });
            }
            Ok(Placed::Exists) => {
                // Written by this very call, whose first answer was lost.
                if let Some(placed) = self.placed_before(principal, &id).await? {
                    return Ok(placed);
                }
                Err(ApiError::internal("an order id was taken by another order"))
            }
            Ok(Placed::Refused(err)) => Ok(err),
            Err(err) => Err(err),
        };
        if let Err(err) = payments.cancel_intent(&intent.id).await {
            tracing::warn!(error = %crate::error::cause_chain(&err), "payment of a refused checkout not withdrawn");
        }
        Err(match refused {
            Ok(Refusal::TooManyUnpaid) => self.too_many_unpaid(),
            Ok(Refusal::Discount(err)) => err,
            Ok(Refusal::OutOfStock(short)) => {
                rules::out_of_stock(&request.items, &order.lines, &short)
            }
            Ok(Refusal::Changed(changed)) => ApiError::Conflict {
                code: ErrorCode::Conflict,
                detail: format!(
                    "{} changed while the order was placed; read the products again.",
                    changed
                        .iter()
                        .map(|i| format!("items[{i}]"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
            Err(err) => err,
        })
    }

    /// `POST /checkout/quote`: what the order would cost, priced as a checkout prices it;
    /// nothing is written. A signed-in customer's own uses of the code count.
    pub async fn quote(
        &self,
        principal: Option<&Principal>,
        request: QuoteRequest,
        now: i64,
    ) -> Result<QuoteEnvelope, ApiError> {
        rules::check_lines(&request.items)?;
        let (lines, products) = self.priced(&request.items).await?;
        let customer = match (principal, &request.discount_code) {
            (Some(principal), Some(_)) => Some(crate::discounts::keys::customer(
                &self.email_of(principal).await?,
            )),
            _ => None,
        };
        let (quote, _) = self
            .price(
                lines,
                &products,
                &request.shipping_address,
                request.shipping_method_id.as_ref(),
                request.discount_code.as_ref(),
                customer,
                now,
            )
            .await?;
        Ok(QuoteEnvelope {
            quote: quote.view(&self.currency),
        })
    }

    /// `lines` priced to `destination` by the shop's settings and the discount code (if it
    /// applies, for `customer`), and the code as read: what the order's redemption is
    /// conditional on.
    #[allow(clippy::too_many_arguments)]
    async fn price(
        &self,
        lines: Vec<Line>,
        products: &HashMap<String, ProductItem>,
        destination: &Destination,
        method: Option<&Slug>,
        code: Option<&Code>,
        customer: Option<String>,
        now: i64,
    ) -> Result<(Quote, Option<crate::discounts::model::DiscountItem>), ApiError> {
        let shop = self.shop.snapshot().await?;
        let weights = quote::weights(&lines, products);
        let (applied, item) = match code {
            Some(code) => {
                let subtotal = rules::total(&lines);
                let (item, discount) = self
                    .discounts
                    .applicable(code, subtotal, customer.as_deref(), now)
                    .await?;
                let applied = Applied {
                    code: item.code.clone(),
                    discount,
                    customer,
                };
                (Some(applied), Some(item))
            }
            None => (None, None),
        };
        let method = method.map(Slug::as_str);
        let quote = quote::price(lines, &weights, &shop, destination, method, applied)?;
        Ok((quote, item))
    }

    /// The email of the principal's account: whose the order is, and whom a redemption counts.
    async fn email_of(&self, principal: &Principal) -> Result<String, ApiError> {
        crate::accounts::repo::user_by_id(&self.table, &principal.user_id)
            .await?
            .map(|user| user.email)
            .ok_or(ApiError::Unauthorized)
    }

    /// Why the order's redemption of its code was refused, as the code is now: used up (by
    /// everyone, or by this customer when `mine`), or changed since it was priced.
    async fn redemption_refused(&self, order: &OrderItem, mine: bool, now: i64) -> ApiError {
        let code = order.discount_code.clone().unwrap_or_default();
        if mine {
            return crate::discounts::service::invalid(format!(
                "The code {code} is used up by this customer."
            ));
        }
        match crate::discounts::repo::get(&self.table, &code).await {
            Ok(Some(item)) => match item.applies(rules::total(&order.lines), now, 0) {
                Err(why) => crate::discounts::service::invalid(why),
                Ok(_) => ApiError::Conflict {
                    code: ErrorCode::Conflict,
                    detail: format!(
                        "The code {code} changed while the order was placed; quote again."
                    ),
                },
            },
            Ok(None) => {
                crate::discounts::service::invalid(format!("The code {code} does not exist."))
            }
            Err(err) => err,
        }
    }

    /// The order's lines priced from their variants, and the products read (strongly
    /// consistent): the variants' products looked up first, then every product at once.
    async fn priced(
        &self,
        items: &[NewLine],
    ) -> Result<(Vec<Line>, HashMap<String, ProductItem>), ApiError> {
        let variant_ids: Vec<String> = items
            .iter()
            .filter_map(|l| l.variant_id.as_ref().map(|v| v.to_string()))
            .collect();
        let owners = if variant_ids.is_empty() {
            HashMap::new()
        } else {
            stock::products_of(&self.table, &variant_ids).await?
        };
        let product_ids = items
            .iter()
            .filter_map(|l| l.product_id.as_ref().map(|p| p.to_string()))
            .chain(owners.values().cloned());
        let products = stock::read(&self.table, product_ids).await?;
        let lines = rules::price_lines(items, &owners, &products)?;
        Ok((lines, products))
    }

    /// Places `order`, its stock planned from `products` and planned again from a fresh read
    /// each time a sale or a count of one of its variants lands first.
    async fn place(
        &self,
        order: &OrderItem,
        sales: &[(Change, Requires)],
        products: &mut HashMap<String, ProductItem>,
        code: Option<&crate::discounts::model::DiscountItem>,
        now: i64,
    ) -> Result<Placed, ApiError> {
        let redeem = match (code, &order.discount_customer) {
            (Some(code), Some(customer)) => {
                crate::discounts::repo::redeem(&self.table, code, customer)?.to_vec()
            }
            _ => Vec::new(),
        };
        let mut tries = crate::db::Contention::for_orders();
        loop {
            let changed = rules::changed(&order.lines, products);
            if !changed.is_empty() {
                return Ok(Placed::Refused(Refusal::Changed(changed)));
            }
            let planned = match stock::plan(products, sales, now) {
                Ok(planned) => planned,
                Err(PlanRefused::Short(short)) => {
                    return Ok(Placed::Refused(Refusal::OutOfStock(short)));
                }
                Err(PlanRefused::Missing(lines)) => {
                    return Ok(Placed::Refused(Refusal::Changed(lines)));
                }
            };
            let writes = stock::writes(&self.table, &planned)?;
            let attempt = tries.attempt();
            let placed = repo::place(
                &self.table,
                order,
                redeem.clone(),
                writes,
                self.max_unpaid_orders,
                attempt,
            );
            match placed.await? {
                Ok(()) => return Ok(Placed::Written),
                Err(CheckoutRefused::Exists) => return Ok(Placed::Exists),
                Err(CheckoutRefused::Discount { mine }) => {
                    return Ok(Placed::Refused(Refusal::Discount(
                        self.redemption_refused(order, mine, now).await,
                    )));
                }
                Err(CheckoutRefused::TooManyUnpaid) => {
                    return Ok(Placed::Refused(Refusal::TooManyUnpaid));
                }
                Err(CheckoutRefused::Raced(found)) if tries.lost().await => {
                    if found.is_empty() {
                        let ids = order.lines.iter().map(|l| l.product_id.clone());
                        *products = stock::read(&self.table, ids).await?;
                    }
                    // The products the transaction found changed, as they are now: no read.
                    for product in found {
                        products.insert(product.id.clone(), product);
                    }
                }
                Err(CheckoutRefused::Raced(_)) => {
                    return Err(ApiError::unavailable(
                        "the stock of the order's variants kept moving; try again",
                    ));
                }
            }
        }
    }

    /// The order an earlier attempt at this checkout placed under `id`, if there is one (and it
    /// is the principal's: an id is never shared between customers).
    async fn placed_before(
        &self,
        principal: &Principal,
        id: &Id,
    ) -> Result<Option<OrderEnvelope>, ApiError> {
        Ok(repo::get(&self.table, id.as_str())
            .await?
            .filter(|order| order.user_id == principal.user_id)
            .map(|order| OrderEnvelope {
                order: order.view(&principal.user_id),
            }))
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
            order: self.visible(principal, id).await?.view(&principal.user_id),
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
        self.page(&principal.user_id, listing, page, keys, now)
            .await
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
        self.page(&principal.user_id, listing, page, keys, now)
            .await
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

    /// `POST /orders/{id}/cancel`: by its owner while unpaid, by an admin until it ships. The
    /// stock comes back in the same transaction; a paid order's refund is written with it, then
    /// asked of the provider (and by the refunds job again until the provider settles it).
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
        let refund = transition
            .refunds
            .then(|| RefundItem::new(&order, order.total_cents, RefundReason::Cancelled, now));
        let changes = match &refund {
            Some(refund) => Changes {
                refund_status: Some(RefundStatus::Pending),
                refund_id: Some(refund.id.clone()),
                also: vec![refund.put(&self.table)?],
                ..Changes::default()
            },
            None => Changes::default(),
        };
        let mut cancelled = self.moved(&order, transition, &changes, now).await?;
        match refund {
            None => {
                // Nobody can pay it any more. If the withdrawal fails and money still arrives,
                // the webhook refunds it (money for a cancelled order goes back).
                withdraw(payments, &order).await;
            }
            Some(refund) => {
                if let Some(status) = self.ask_refund(&refund, payments, now).await {
                    cancelled.refund_status = Some(status);
                }
            }
        }
        Ok(OrderEnvelope {
            order: cancelled.view(&principal.user_id),
        })
    }

    /// Asks the provider for a refund just written; what the order's `refund_status` is now, if
    /// the attempt settled it. A failure here leaves the refund due: the refunds job asks again.
    pub(super) async fn ask_refund(
        &self,
        refund: &RefundItem,
        payments: &impl PaymentProvider,
        now: i64,
    ) -> Option<RefundStatus> {
        match refunds::attempt(&self.table, refund, payments, now).await {
            Ok(Outcome::Succeeded(_)) => Some(RefundStatus::Refunded),
            Ok(Outcome::Failed) => Some(RefundStatus::Failed),
            Ok(Outcome::Settling(_) | Outcome::Retry) => None,
            Err(err) => {
                tracing::error!(error = %crate::error::cause_chain(&err), refund.id = %refund.id, "refund attempt not recorded; the refunds job asks again");
                None
            }
        }
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
            order: shipped.view(SHOP),
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
