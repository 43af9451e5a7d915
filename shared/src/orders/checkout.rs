//! Checkout and the quote: an order priced by the one pricing function, its payment asked of
//! the provider, then the order, its stock, its customer's unpaid count and its discount
//! code's redemption written in one transaction; a guest's order with its token.

use std::collections::HashMap;

use super::guest;
use super::model::{Destination, Line, NewLine, NewOrder, Order, OrderItem, Payment, QuoteRequest};
use super::quote::{self, Applied, Quote, QuoteEnvelope};
use super::repo::{self, CheckoutRefused};
use super::rules;
use super::service::{OrderEnvelope, Orders};
use crate::auth::Principal;
use crate::catalog::model::ProductItem;
use crate::catalog::stock::{self, Change, PlanRefused, Requires};
use crate::discounts::model::Code;
use crate::error::{ApiError, ErrorCode};
use crate::ids::Id;
use crate::payments::PaymentProvider;
use crate::shop::model::Slug;

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

impl Orders {
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
        buyer: Option<&Principal>,
        id: Id,
        request: NewOrder,
        payments: &impl PaymentProvider,
        token_key: &[u8; 32],
        now: i64,
    ) -> Result<OrderEnvelope, ApiError> {
        rules::check_lines(&request.items)?;
        let guest_email = match (buyer, &request.email) {
            (Some(_), _) => None,
            (None, Some(email)) => Some(email.as_str().to_owned()),
            (None, None) => {
                return Err(ApiError::validation(
                    "email",
                    "is required to check out without an account",
                ));
            }
        };
        let holder = match (buyer, &guest_email) {
            (Some(principal), _) => principal.user_id.clone(),
            (None, email) => guest::holder(&crate::discounts::keys::customer(
                email.as_deref().unwrap_or_default(),
            )),
        };
        // First: an attempt whose order was placed is answered with it, though the stock or
        // the code it took may leave none for another attempt now.
        if let Some(placed) = self.placed_before(buyer, &holder, &id, token_key).await? {
            return Ok(placed);
        }
        // A customer's email is read only when it counts: for a code's uses, or to check the
        // one the body names (a guest's is the body's own).
        let email = match (buyer, guest_email) {
            (Some(principal), _) if request.discount_code.is_some() || request.email.is_some() => {
                let email = self.email_of(principal).await?;
                if request.email.as_ref().is_some_and(|e| e.as_str() != email) {
                    return Err(ApiError::validation(
                        "email",
                        "is the account's own: leave it out, or sign out to buy as a guest",
                    ));
                }
                email
            }
            (Some(_), _) => String::new(),
            (None, email) => email.unwrap_or_default(),
        };
        let (lines, mut products) = self.priced(&request.items).await?;
        // Known before the transaction, this saves asking for a payment that cannot be kept.
        let sales = rules::sales(id.as_str(), &lines);
        if let Err(PlanRefused::Short(short)) = stock::plan(&products, &sales, now) {
            return Err(rules::out_of_stock(&request.items, &lines, &short));
        }

        let customer = crate::discounts::keys::customer(&email);
        let priced = self
            .price(
                lines,
                &products,
                &request.shipping_address.destination(),
                request.shipping_method_id.as_ref(),
                request.discount_code.as_ref(),
                Some(customer.clone()),
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
        if repo::unpaid(&self.table, &holder).await? >= self.max_unpaid_orders {
            return Err(self.too_many_unpaid());
        }
        let intent = payments
            .create_intent(id.as_str(), total, &self.currency)
            .await?;
        let mut order = OrderItem::new(
            &id,
            buyer.map_or("", |p| p.user_id.as_str()),
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
        let token = match buyer {
            Some(_) => None,
            None => {
                let token = guest::new_token()?;
                let sealed = guest::seal(token_key, &token)?;
                order.for_guest(&email, &customer, guest::hash(&token), sealed);
                Some(token)
            }
        };
        let refused = self
            .place(&order, &sales, &mut products, code.as_ref(), now)
            .await;
        let refused = match refused {
            Ok(Placed::Written) => {
                crate::emf::order_placed(order.id.as_str());
                return Ok(OrderEnvelope {
                    order: shown_to_buyer(&order, buyer, token),
                });
            }
            Ok(Placed::Exists) => {
                // Written by this very call, whose first answer was lost.
                if let Some(placed) = self.placed_before(buyer, &holder, &id, token_key).await? {
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
    /// is the same buyer's: an id is never shared between buyers). A guest's shows its token
    /// again, opened from its sealed copy.
    async fn placed_before(
        &self,
        buyer: Option<&Principal>,
        holder: &str,
        id: &Id,
        token_key: &[u8; 32],
    ) -> Result<Option<OrderEnvelope>, ApiError> {
        Ok(repo::get(&self.table, id.as_str())
            .await?
            .filter(|order| order.holder() == holder)
            .map(|order| {
                let token = order
                    .token_sealed
                    .as_deref()
                    .and_then(|sealed| guest::open(token_key, sealed));
                OrderEnvelope {
                    order: shown_to_buyer(&order, buyer, token),
                }
            }))
    }
}

/// The order as its buyer sees it at checkout: a guest's with its token, shown this once.
fn shown_to_buyer(order: &OrderItem, buyer: Option<&Principal>, token: Option<String>) -> Order {
    match buyer {
        Some(principal) => order.view(&principal.user_id),
        None => Order {
            order_token: token,
            ..order.guest_view()
        },
    }
}
