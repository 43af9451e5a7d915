//! `POST /admin/orders/{id}/refunds`: an admin gives money back, an amount or the paid share of
//! some of the order's units (their line total less its discount, with its tax), optionally
//! putting those units back in stock. The refund's record, the order's counts and each line's
//! refunded units, and the restock's movements are one transaction, conditional on what was
//! read: what the refunds owe can never pass what was paid, however refunds race.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::{Refund, RefundItem, RefundLine};
use crate::auth::Principal;
use crate::catalog::model::ProductItem;
use crate::catalog::stock::{self, Change, Reason as StockReason, Requires};
use crate::db::{Table, number, string};
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::ids::Id;
use crate::orders::model::{OrderItem, Quantity};
use crate::orders::service::Orders;
use crate::orders::state::OrderStatus;
use crate::orders::{keys, repo};
use crate::payments::PaymentProvider;
use crate::pricing;
use crate::values::{parsed_from_text, whole_number_in};

/// An amount to refund: 1 cent to 10^12.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundAmount(i64);

whole_number_in!(RefundAmount, 1, 1_000_000_000_000);

/// Why a refund is made: 1–200 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundNote(String);

impl RefundNote {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        crate::text::single_line(raw, 200).map(Self)
    }
}
parsed_from_text!(RefundNote);

/// Units of one of the order's lines.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundLineAsk {
    pub variant_id: Id,
    pub quantity: Quantity,
}

/// `POST /admin/orders/{id}/refunds`'s body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundAsk {
    #[serde(default)]
    pub amount_cents: Option<RefundAmount>,
    #[serde(default)]
    pub lines: Option<Vec<RefundLineAsk>>,
    #[serde(default)]
    pub restock: bool,
    pub reason: RefundNote,
}

impl crate::http::Input for RefundAsk {
    const REQUIRED: &'static [&'static str] = &["reason"];
}

/// `{"refund": ...}`.
#[derive(Debug, Serialize)]
pub struct RefundEnvelope {
    pub refund: Refund,
}

/// What a refund gives back, planned against the order as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub amount_cents: i64,
    /// Per line refunded: its index in the order, the units, and the units refunded before.
    pub lines: Vec<(usize, i64, i64)>,
    /// Per line put back in stock: its index in the order and the units.
    pub restock: Vec<(usize, i64)>,
}

/// The states whose payment was taken and whose stock is still sold.
const REFUNDABLE: [OrderStatus; 3] = [
    OrderStatus::Paid,
    OrderStatus::Shipped,
    OrderStatus::Delivered,
];

/// What is asked of a refund, whoever asks: an admin's refund, or a return received.
#[derive(Debug, Clone)]
pub struct Ask {
    pub amount: Option<i64>,
    /// Variants of the order's lines and their units.
    pub lines: Option<Vec<(Id, i64)>>,
    pub restock: bool,
    pub reason: String,
    /// Who asks (a staff member or an admin): the refund's actor, and the audit entry's.
    pub actor: Principal,
    /// Give back what is left rather than refuse more than it (a return received after some
    /// of its units, or the whole payment, were refunded already): refused otherwise.
    pub fit: bool,
}

/// Plans `ask` against `order`: a pure function of the two. `400` names the field at fault;
/// `409 refund_exceeds_payment` when it would give back more than is left of the payment.
pub fn plan(order: &OrderItem, ask: &Ask) -> Result<Plan, ApiError> {
    if !REFUNDABLE.contains(&order.status) {
        return Err(ApiError::Conflict {
            code: ErrorCode::InvalidTransition,
            detail: format!(
                "An order that is {} cannot be refunded: only a paid, shipped or delivered one.",
                order.status.as_str()
            ),
        });
    }
    let mut planned = match (ask.amount, ask.lines.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "amount_cents",
                "give amount_cents or lines, not both",
            ));
        }
        (None, None) => {
            return Err(ApiError::validation(
                "amount_cents",
                "is required without lines",
            ));
        }
        (Some(_), None) if ask.restock => {
            return Err(ApiError::validation(
                "restock",
                "puts lines back in stock: give lines",
            ));
        }
        (Some(cents), None) => Plan {
            amount_cents: cents,
            lines: Vec::new(),
            restock: Vec::new(),
        },
        (None, Some(asked)) => by_lines(order, asked, ask.restock, ask.fit)?,
    };
    let left = order.total_cents - order.refunded_cents;
    if ask.fit {
        planned.amount_cents = planned.amount_cents.min(left.max(0));
    } else if planned.amount_cents > left {
        return Err(ApiError::Conflict {
            code: ErrorCode::RefundExceedsPayment,
            detail: format!(
                "This refund is {} cents; {left} cents of the order's payment are left to refund.",
                planned.amount_cents
            ),
        });
    }
    Ok(planned)
}

fn by_lines(
    order: &OrderItem,
    asked: &[(Id, i64)],
    restock: bool,
    fit: bool,
) -> Result<Plan, ApiError> {
    let (named, mut errors) = crate::orders::rules::named_lines(order, asked);
    let mut planned = Plan {
        amount_cents: 0,
        lines: Vec::new(),
        restock: Vec::new(),
    };
    for crate::orders::rules::Named { ask, index, units } in named {
        let line = &order.lines[index];
        let left = line.quantity - line.refunded_quantity;
        if units > left && !fit {
            errors.push(FieldError::new(
                format!("lines[{ask}].quantity"),
                format!("at most {left} units of this line are left to refund"),
            ));
            continue;
        }
        if restock {
            planned.restock.push((index, units.min(line.quantity)));
        }
        let units = units.min(left);
        if units == 0 {
            continue;
        }
        let paid = pricing::paid_for_line(
            line.line_total_cents,
            line.discount_cents,
            line.tax_cents,
            order.prices_include_tax,
        );
        planned.amount_cents +=
            pricing::refund_share(paid, line.quantity, line.refunded_quantity, units);
        planned.lines.push((index, units, line.refunded_quantity));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if planned.amount_cents == 0 && !fit {
        return Err(ApiError::validation(
            "lines",
            "nothing was paid for these units",
        ));
    }
    Ok(planned)
}

/// The order's side of a planned refund: its counts and lines, on the condition that it is
/// still refundable, its refunds leave room for this one, and its lines' refunded units are
/// those read.
fn order_update(
    table: &Table,
    order: &OrderItem,
    plan: &Plan,
    now: i64,
) -> Result<TransactWriteItem, ApiError> {
    let mut sets = vec!["updated_at = :now".to_owned()];
    let mut conditions = vec![
        "#status IN (:paid, :shipped, :delivered)".to_owned(),
        "payment.payment_intent_id = :intent".to_owned(),
        "(attribute_not_exists(refunded_cents) OR refunded_cents <= :room)".to_owned(),
    ];
    let mut values: HashMap<String, AttributeValue> = HashMap::from([
        (":now".to_owned(), number(now)),
        (":paid".to_owned(), string(OrderStatus::Paid.as_str())),
        (":shipped".to_owned(), string(OrderStatus::Shipped.as_str())),
        (
            ":delivered".to_owned(),
            string(OrderStatus::Delivered.as_str()),
        ),
        (
            ":intent".to_owned(),
            string(&order.payment.payment_intent_id),
        ),
        (
            ":room".to_owned(),
            number(order.total_cents - plan.amount_cents),
        ),
        (":amount".to_owned(), number(plan.amount_cents)),
        (":one".to_owned(), number(1)),
    ]);
    for (index, units, before) in &plan.lines {
        let path = format!("#lines[{index}].#refunded");
        sets.push(format!("{path} = :after{index}"));
        conditions.push(format!(
            "(attribute_not_exists({path}) OR {path} = :before{index})"
        ));
        values.insert(format!(":after{index}"), number(before + units));
        values.insert(format!(":before{index}"), number(*before));
    }
    let mut update = table
        .update_of(keys::order(&order.id), keys::ORDER_SK)
        .update_expression(format!(
            "SET {} ADD refunded_cents :amount, refunds_pending :one",
            sets.join(", ")
        ))
        .condition_expression(conditions.join(" AND "))
        .expression_attribute_names("#status", "status")
        .set_expression_attribute_values(Some(values));
    if !plan.lines.is_empty() {
        update = update
            .expression_attribute_names("#lines", "lines")
            .expression_attribute_names("#refunded", "refunded_quantity");
    }
    Ok(TransactWriteItem::builder()
        .update(update.build().map_err(ApiError::internal)?)
        .build())
}

/// The stock movements that put a refund's units back, planned from `products` as read.
fn restock(
    table: &Table,
    order: &OrderItem,
    plan: &Plan,
    actor: &str,
    products: &HashMap<String, ProductItem>,
    now: i64,
) -> Result<Vec<TransactWriteItem>, ApiError> {
    let changes: Vec<(Change, Requires)> = plan
        .restock
        .iter()
        .map(|(index, units)| {
            let line = &order.lines[*index];
            (
                Change {
                    product_id: line.product_id.clone(),
                    variant_id: line.variant().to_owned(),
                    delta: *units,
                    reason: StockReason::Return,
                    order_id: Some(order.id.clone()),
                    actor_id: Some(actor.to_owned()),
                },
                Requires::Nothing,
            )
        })
        .collect();
    match stock::plan(products, &changes, now) {
        Ok(planned) => stock::writes(table, &planned),
        Err(_) => Err(ApiError::Conflict {
            code: ErrorCode::Conflict,
            detail: "A refunded line's variant no longer exists: refund it without restock."
                .to_owned(),
        }),
    }
}

impl Orders {
    /// `POST /admin/orders/{id}/refunds`: admins only. The refund is written with the order's
    /// counts (and the restock) in one transaction, then asked of the provider at once; the
    /// refunds job asks again while the provider cannot be reached.
    pub async fn refund(
        &self,
        principal: &Principal,
        id: &Id,
        ask: RefundAsk,
        payments: &impl PaymentProvider,
        now: i64,
    ) -> Result<RefundEnvelope, ApiError> {
        principal.require_admin()?;
        let ask = Ask {
            amount: ask.amount_cents.map(|a| a.get()),
            lines: ask.lines.map(|lines| {
                lines
                    .into_iter()
                    .map(|line| (line.variant_id, line.quantity.get()))
                    .collect()
            }),
            restock: ask.restock,
            reason: ask.reason.0,
            actor: principal.clone(),
            fit: false,
        };
        let refund = self
            .write_refund(id.as_str(), &ask, &[], || ApiError::NotFound, now)
            .await?
            .ok_or_else(|| ApiError::internal("a refund that is not fitted is never empty"))?;
        let outcome = self.ask_refund(&refund, payments, now).await;
        Ok(RefundEnvelope {
            refund: refund.after(&outcome).view(),
        })
    }

    /// Writes the refund `ask` plans against the order as it is, with the order's counts, the
    /// restock's movements and `also` (a return's move), in one transaction; re-planned from a
    /// fresh read when the order or a product moved meanwhile. `also` refused is `refused()`.
    /// `Ok(None)`: nothing was left to give back (a fitted ask), and the rest was written.
    pub(crate) async fn write_refund(
        &self,
        order_id: &str,
        ask: &Ask,
        also: &[TransactWriteItem],
        refused: impl Fn() -> ApiError,
        now: i64,
    ) -> Result<Option<RefundItem>, ApiError> {
        // Tells this call's transactions from every other's (the tries of one share it).
        let call = Id::new();
        let mut tries = crate::db::Contention::for_orders();
        let mut products = HashMap::new();
        loop {
            let order = repo::get(&self.table, order_id)
                .await?
                .ok_or(ApiError::NotFound)?;
            let plan = plan(&order, ask)?;
            if !plan.restock.is_empty() && products.is_empty() {
                let ids = plan
                    .restock
                    .iter()
                    .map(|(index, _)| order.lines[*index].product_id.clone());
                products = stock::read(&self.table, ids).await?;
            }
            let refund = (plan.amount_cents > 0).then(|| {
                let mut refund = RefundItem::of(&order, plan.amount_cents, ask.reason.clone(), now);
                refund.actor_id = Some(ask.actor.user_id.clone());
                refund.restock = ask.restock;
                refund.lines = plan
                    .lines
                    .iter()
                    .map(|(index, units, _)| RefundLine {
                        variant_id: order.lines[*index].variant().to_owned(),
                        quantity: *units,
                    })
                    .collect();
                refund
            });
            let mut writes = Vec::new();
            if let Some(refund) = &refund {
                writes.push(order_update(&self.table, &order, &plan, now)?);
                writes.push(refund.put(&self.table)?);
                let act = crate::audit::Act::new(&ask.actor, "refund.create");
                writes.push(act.put(
                    &self.table,
                    "refund",
                    &refund.id,
                    None::<&()>,
                    Some(refund),
                    now,
                )?);
            }
            let also_from = writes.len();
            writes.extend(also.iter().cloned());
            writes.extend(restock(
                &self.table,
                &order,
                &plan,
                &ask.actor.user_id,
                &products,
                now,
            )?);
            let token = format!("refund {call} {}", tries.attempt());
            let err = match crate::db::transact(&self.table, writes, Some(&token)).await {
                Ok(()) => {
                    if let Some(refund) = &refund {
                        tracing::info!(order_id = %order.id, refund.id = %refund.id, amount_cents = refund.amount_cents, by = %ask.actor.user_id, "refund written");
                    }
                    return Ok(refund);
                }
                Err(err) => err,
            };
            let refusals = crate::db::refusals(&err);
            if !refusals.iter().any(|r| r.failed) {
                return Err(crate::db::transaction_failed(err));
            }
            if refusals
                .iter()
                .skip(also_from)
                .take(also.len())
                .any(|r| r.failed)
            {
                return Err(refused());
            }
            // The order or a product moved since it was read: plan again from what it is now
            // (which may now refuse the refund).
            for product in stock::found_products(refusals) {
                products.insert(product.id.clone(), product);
            }
            if !tries.lost().await {
                return Err(ApiError::unavailable(
                    "the order kept changing while it was refunded",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests;
