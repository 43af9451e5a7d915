//! The orders' DynamoDB access. A checkout and every move of an order are single transactions:
//! the order and the stock of its products change together or not at all, and each is
//! conditional on what it read (stock enough, the order still in the state it moves from).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use serde::Deserialize;

use super::keys;
use super::model::OrderItem;
use super::state::{OrderStatus, Transition};
use crate::catalog::model::ProductItem;
use crate::catalog::stock::{self, Change, Reason as StockReason, Requires};
use crate::db::{Index, Item, Table, for_each_page, from_item, number, string, to_item, transact};
use crate::error::ApiError;

/// Why a checkout's transaction was refused.
#[derive(Debug, Clone)]
pub enum CheckoutRefused {
    /// A variant's stock moved, or a product changed, since it was read: plan again from the
    /// products as the transaction found them (those whose condition failed; the others did
    /// not change).
    Raced(Vec<ProductItem>),
    /// The customer already has `max_unpaid` orders waiting for their payment.
    TooManyUnpaid,
    /// An order with this id exists: an earlier attempt at the same checkout placed it.
    Exists,
    /// The discount code's redemption was refused: the customer's own count when `mine`, else
    /// the code's (used up, or edited since it was read).
    Discount { mine: bool },
}

/// Writes a new order, counts it among its customer's unpaid orders (at most `max_unpaid`) and
/// takes the stock of every line (`stock`: the products' updates and the lines' movements, as
/// planned from the products read), and counts its discount code's redemption (`redeem`: the
/// code's count and its customer's), all or nothing. `attempt` tells this try from the others
/// at the same checkout.
pub async fn place(
    table: &Table,
    order: &OrderItem,
    redeem: Vec<TransactWriteItem>,
    stock: Vec<TransactWriteItem>,
    max_unpaid: i64,
    attempt: u32,
) -> Result<Result<(), CheckoutRefused>, ApiError> {
    let hold = table
        .update_of(keys::unpaid(order.holder()), keys::UNPAID_SK)
        .update_expression("ADD #count :one")
        .condition_expression("attribute_not_exists(#count) OR #count < :max")
        .expression_attribute_names("#count", "count")
        .expression_attribute_values(":one", number(1))
        .expression_attribute_values(":max", number(max_unpaid))
        .build()
        .map_err(ApiError::internal)?;
    let mut writes = vec![
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(&table.name)
                    .set_item(Some(to_item(order)?))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .map_err(ApiError::internal)?,
            )
            .build(),
        TransactWriteItem::builder().update(hold).build(),
    ];
    let redemptions = redeem.len();
    writes.extend(redeem);
    writes.extend(stock);
    let placed = super::timeline::EventItem::new(
        &order.id,
        "placed",
        super::timeline::By::customer(order),
        serde_json::json!({"total_cents": order.total_cents}),
        order.created_at,
    );
    writes.push(placed.put(table)?);
    let token = format!("checkout {} {attempt}", order.id);
    match transact(table, writes, Some(&token)).await {
        Ok(()) => Ok(Ok(())),
        Err(err) => {
            let reasons = crate::db::refusals(&err);
            if reasons.first().is_some_and(|r| r.failed) {
                return Ok(Err(CheckoutRefused::Exists));
            }
            if reasons.get(1).is_some_and(|r| r.failed) {
                return Ok(Err(CheckoutRefused::TooManyUnpaid));
            }
            if redemptions > 0 {
                if reasons.get(2).is_some_and(|r| r.failed) {
                    return Ok(Err(CheckoutRefused::Discount { mine: false }));
                }
                if reasons.get(3).is_some_and(|r| r.failed) {
                    return Ok(Err(CheckoutRefused::Discount { mine: true }));
                }
            }
            if reasons.iter().any(|r| r.failed) {
                return Ok(Err(CheckoutRefused::Raced(stock::found_products(reasons))));
            }
            Err(crate::db::transaction_failed(err))
        }
    }
}

/// Gives the guest orders of `email_key` to the account `user_id` (its email's), each on the
/// condition that it is still a guest's; how many it took.
pub async fn adopt(table: &Table, email_key: &str, user_id: &str) -> Result<usize, ApiError> {
    let query = table
        .query_partition(Index::Gsi1, keys::guest(email_key), None)
        .projection_expression("pk");
    let mut ids = Vec::new();
    for_each_page(query, |page| {
        for item in page.items.unwrap_or_default() {
            if let Some(pk) = item.get("pk").and_then(|v| v.as_s().ok()) {
                ids.push(pk.clone());
            }
        }
        Ok(())
    })
    .await?;
    let mut taken = 0;
    for pk in ids {
        let updated = table
            .client
            .update_item()
            .table_name(&table.name)
            .key("pk", string(&pk))
            .key("sk", string(keys::ORDER_SK))
            .update_expression("SET user_id = :user, gsi1pk = :customer")
            .condition_expression("gsi1pk = :guest")
            .expression_attribute_values(":user", string(user_id))
            .expression_attribute_values(":customer", string(keys::customer(user_id)))
            .expression_attribute_values(":guest", string(keys::guest(email_key)))
            .send()
            .await;
        if crate::db::applied(updated)? {
            taken += 1;
        }
    }
    Ok(taken)
}

/// How many orders of `user_id` wait for their payment (strongly consistent). The checkout's
/// transaction is what holds the cap; this read saves asking for a payment that cannot be kept.
pub async fn unpaid(table: &Table, user_id: &str) -> Result<i64, ApiError> {
    #[derive(Deserialize)]
    struct Counter {
        #[serde(default)]
        count: i64,
    }
    let counter: Option<Counter> = table.get(&keys::unpaid(user_id), keys::UNPAID_SK).await?;
    Ok(counter.map_or(0, |c| c.count))
}

/// The order `id`, strongly consistent.
pub async fn get(table: &Table, id: &str) -> Result<Option<OrderItem>, ApiError> {
    table.get(&keys::order(id), keys::ORDER_SK).await
}

/// Every item of the order `id`'s partition (the order, its refunds, timeline events and
/// emails sent), strongly consistent, in their keys' order.
pub async fn partition(table: &Table, id: &str) -> Result<Vec<Item>, ApiError> {
    let query = table
        .client
        .query()
        .table_name(&table.name)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", string(keys::order(id)))
        .consistent_read(true);
    let mut items = Vec::new();
    for_each_page(query, |page| {
        items.extend(page.items.unwrap_or_default());
        Ok(())
    })
    .await?;
    Ok(items)
}

/// The sort key of an item of an order's partition.
pub fn sort_key_of(item: &Item) -> &str {
    item.get("sk")
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str)
}

/// What a move writes besides the new status.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// A refund the move owes (its record among `also`): its amount, counted on the order on
    /// the condition that what its refunds owe is still what was read.
    pub refund_cents: Option<i64>,
    pub tracking_number: Option<String>,
    pub payment_status: Option<String>,
    /// Written in the same transaction: a refund the move owes, the mark of the event that
    /// made it. Any of their conditions failing fails the move (`Ok(None)`).
    pub also: Vec<TransactWriteItem>,
    /// The staff member or admin who moves it, and the action: their entry in the audit log,
    /// with the order's fields before and after, is written with the move.
    pub audit: Option<(crate::auth::Principal, &'static str)>,
}

/// Moves `order` as `transition` says, on the condition that it is still in `transition.from`
/// (and, for a payment, still waits for that PaymentIntent); gives its stock back in the same
/// transaction when the move does. `Ok(None)`: another request moved it first.
pub async fn apply(
    table: &Table,
    order: &OrderItem,
    transition: Transition,
    changes: &Changes,
    now: i64,
) -> Result<Option<OrderItem>, ApiError> {
    // Names this move, so that a move whose answer was lost and whose retry then failed its
    // condition is known for what it is: applied.
    let move_id = crate::ids::Id::new().to_string();
    let mut set = vec![
        "#status = :to",
        "gsi2pk = :status_pk",
        "gsi2sk = :status_sk",
        "updated_at = :now",
        "last_move = :move",
    ];
    let mut values = HashMap::from([
        (":to".to_owned(), string(transition.to.as_str())),
        (":from".to_owned(), string(transition.from.as_str())),
        (":status_pk".to_owned(), string(keys::status(transition.to))),
        (
            ":status_sk".to_owned(),
            string(keys::status_sort_key(
                transition.to,
                &order.id,
                order.expires_at,
            )),
        ),
        (":now".to_owned(), number(now)),
        (":move".to_owned(), string(&move_id)),
        (
            ":intent".to_owned(),
            string(&order.payment.payment_intent_id),
        ),
    ]);
    let mut after = order.clone();
    after.status = transition.to;
    after.gsi2pk = keys::status(transition.to);
    after.gsi2sk = keys::status_sort_key(transition.to, &order.id, order.expires_at);
    after.updated_at = now;
    after.last_move = Some(move_id.clone());
    let mut condition = "#status = :from AND payment.payment_intent_id = :intent".to_owned();
    let mut add = "";
    if let Some(amount) = changes.refund_cents {
        add = " ADD refunded_cents :refund, refunds_pending :one_refund";
        condition
            .push_str(" AND (attribute_not_exists(refunded_cents) OR refunded_cents = :refunded)");
        values.insert(":refund".to_owned(), number(amount));
        values.insert(":one_refund".to_owned(), number(1));
        values.insert(":refunded".to_owned(), number(order.refunded_cents));
        super::refunds::Tally::owed(amount).apply_to(&mut after);
    }
    if transition.to == OrderStatus::Delivered {
        // The window for returns opens.
        set.push("delivered_at = :now");
        after.delivered_at = Some(now);
    }
    if let Some(tracking) = &changes.tracking_number {
        set.push("tracking_number = :tracking");
        values.insert(":tracking".to_owned(), string(tracking));
        after.tracking_number = Some(tracking.clone());
    }
    if let Some(status) = &changes.payment_status {
        set.push("payment.#payment_status = :payment_status");
        values.insert(":payment_status".to_owned(), string(status));
        after.payment.status = status.clone();
    }
    let mut names = HashMap::from([("#status".to_owned(), "status".to_owned())]);
    if changes.payment_status.is_some() {
        names.insert("#payment_status".to_owned(), "status".to_owned());
    }
    let update = table
        .update_of(keys::order(&order.id), keys::ORDER_SK)
        .update_expression(format!("SET {}{add}", set.join(", ")))
        .condition_expression(condition)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(ApiError::internal)?;
    let mut writes = vec![TransactWriteItem::builder().update(update).build()];
    writes.extend(changes.also.iter().cloned());
    if let Some((actor, action)) = &changes.audit {
        let act = crate::audit::Act::new(actor, action);
        writes.push(act.put(table, "order", &order.id, Some(order), Some(&after), now)?);
    }
    writes.push(super::timeline::moved(order, transition, changes, now).put(table)?);
    if transition.from == OrderStatus::PendingPayment {
        // No longer waiting for its payment: its customer may place another.
        let release = table
            .update_of(keys::unpaid(order.holder()), keys::UNPAID_SK)
            .update_expression("ADD #count :minus_one")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":minus_one", number(-1))
            .build()
            .map_err(ApiError::internal)?;
        writes.push(TransactWriteItem::builder().update(release).build());
    }
    if transition.returns_stock
        && let (Some(code), Some(customer)) = (&order.discount_code, &order.discount_customer)
    {
        // The redemption comes back with the stock: once, as the move is.
        writes.extend(crate::discounts::repo::give_back(table, code, customer)?);
    }
    // The stock that comes back, planned from the products as read: a movement per line. A
    // sale or a count of one of them meanwhile cancels it; then it is planned again.
    let stock_from = writes.len();
    let mut products = if transition.returns_stock {
        stock::read(table, order.lines.iter().map(|l| l.product_id.clone())).await?
    } else {
        HashMap::new()
    };
    let mut tries = crate::db::Contention::for_orders();
    loop {
        let attempt = tries.attempt();
        let mut all = writes.clone();
        if transition.returns_stock {
            all.extend(give_back(table, order, transition, &products, now)?);
        }
        let token = format!("{move_id} {attempt}");
        let err = match transact(table, all, Some(&token)).await {
            Ok(()) => return Ok(Some(after)),
            Err(err) => err,
        };
        let reasons = crate::db::refusals(&err);
        let order_failed = reasons.first().is_some_and(|r| r.failed);
        if !order_failed && reasons.iter().skip(stock_from).any(|r| r.failed) {
            if tries.lost().await {
                // Planned again from the products as the transaction found them.
                for product in stock::found_products(reasons) {
                    products.insert(product.id.clone(), product);
                }
                continue;
            }
            return Err(ApiError::unavailable(
                "the stock of the order's products kept moving",
            ));
        }
        if !reasons.iter().any(|r| r.failed) {
            return Err(crate::db::transaction_failed(err));
        }
        // The order as the failed attempt found it: moved by this very call (its first
        // attempt applied, its answer lost), or by another.
        let found = reasons
            .into_iter()
            .next()
            .and_then(|reason| reason.item)
            .and_then(|item| from_item::<OrderItem>(item).ok());
        if found.is_some_and(|o| o.last_move.as_deref() == Some(move_id.as_str())) {
            return Ok(Some(after));
        }
        return Ok(None);
    }
}

/// The writes that give an order's units back, each line a movement of its variant (`cancel`
/// or `expiry`), planned from `products` as read.
fn give_back(
    table: &Table,
    order: &OrderItem,
    transition: Transition,
    products: &HashMap<String, ProductItem>,
    now: i64,
) -> Result<Vec<TransactWriteItem>, ApiError> {
    let reason = if transition.to == OrderStatus::Expired {
        StockReason::Expiry
    } else {
        StockReason::Cancel
    };
    let changes: Vec<(Change, Requires)> = order
        .lines
        .iter()
        .map(|line| {
            (
                Change {
                    product_id: line.product_id.clone(),
                    variant_id: line.variant().to_owned(),
                    delta: line.quantity,
                    reason,
                    order_id: Some(order.id.clone()),
                    actor_id: None,
                },
                Requires::Nothing,
            )
        })
        .collect();
    match stock::plan(products, &changes, now) {
        Ok(planned) => stock::writes(table, &planned),
        // Products are never deleted; a variant missing is one a migration has not made yet.
        Err(refused) => Err(ApiError::unavailable(format!(
            "the stock of order {} cannot be given back yet: {refused:?}",
            order.id
        ))),
    }
}

/// Records what the provider said of a payment that did not move the order (a failed attempt),
/// if the order still waits for that PaymentIntent, with `mark` (the event's) in the same
/// transaction. Nothing is written when the order has moved on or the event was handled.
pub async fn record_payment_status(
    table: &Table,
    order_id: &str,
    intent_id: &str,
    status: &str,
    mark: TransactWriteItem,
    now: i64,
) -> Result<(), ApiError> {
    let update = table
        .update_of(keys::order(order_id), keys::ORDER_SK)
        .update_expression("SET payment.#ps = :ps, updated_at = :now")
        .condition_expression("payment.payment_intent_id = :intent AND #status = :pending")
        .expression_attribute_names("#ps", "status")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":ps", string(status))
        .expression_attribute_values(":now", number(now))
        .expression_attribute_values(":intent", string(intent_id))
        .expression_attribute_values(":pending", string(OrderStatus::PendingPayment.as_str()))
        .build()
        .map_err(ApiError::internal)?;
    let failed = super::timeline::EventItem::new(
        order_id,
        "payment_failed",
        super::timeline::By::stripe(),
        serde_json::json!({"status": status}),
        now,
    );
    let writes = vec![
        TransactWriteItem::builder().update(update).build(),
        mark,
        failed.put(table)?,
    ];
    crate::db::transact_if(table, writes, None).await?;
    Ok(())
}

/// A refund owed on an order that keeps its status (money that came late, or for the wrong
/// amount): the order counts it, the refund is written, and `mark` (the event's) with them.
/// `Ok(false)`: nothing written, as the order is no longer `status`, already owes a refund, or
/// the event was handled.
pub async fn owe_refund(
    table: &Table,
    order: &OrderItem,
    status: OrderStatus,
    refund: &super::refunds::RefundItem,
    mark: TransactWriteItem,
    now: i64,
) -> Result<bool, ApiError> {
    let update = table
        .update_of(keys::order(&order.id), keys::ORDER_SK)
        .update_expression(
            "SET updated_at = :now ADD refunded_cents :amount, refunds_pending :one",
        )
        .condition_expression(
            "#status = :status AND payment.payment_intent_id = :intent AND (attribute_not_exists(refunded_cents) OR refunded_cents = :zero) AND (attribute_not_exists(refunds_pending) OR refunds_pending = :zero)",
        )
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":amount", number(refund.amount_cents))
        .expression_attribute_values(":one", number(1))
        .expression_attribute_values(":zero", number(0))
        .expression_attribute_values(":now", number(now))
        .expression_attribute_values(":status", string(status.as_str()))
        .expression_attribute_values(":intent", string(&order.payment.payment_intent_id))
        .build()
        .map_err(ApiError::internal)?;
    let writes = vec![
        TransactWriteItem::builder().update(update).build(),
        refund.put(table)?,
        mark,
    ];
    crate::db::transact_if(table, writes, None).await
}

/// The mark of a provider's event, for the transaction of its effect: the effect and the mark
/// are written together or not at all, so a redelivery finds either both (and does nothing)
/// or neither (and does it all).
pub fn event_mark(table: &Table, event_id: &str, now: i64) -> Result<TransactWriteItem, ApiError> {
    let put = Put::builder()
        .table_name(&table.name)
        .item("pk", string(keys::stripe_event(event_id)))
        .item("sk", string(keys::STRIPE_EVENT_SK))
        // Stripe retries a delivery for up to three days; a week covers every retry.
        .item("ttl", number(now + 7 * 86_400))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(ApiError::internal)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// Which listing of orders, newest first.
#[derive(Debug, Clone)]
pub enum Listing {
    Customer(String),
    Status(OrderStatus),
    All,
}

impl Listing {
    fn index(&self) -> (Index, String) {
        match self {
            Self::Customer(user_id) => (Index::Gsi1, keys::customer(user_id)),
            Self::Status(status) => (Index::Gsi2, keys::status(*status)),
            Self::All => (Index::Gsi3, keys::ALL.to_owned()),
        }
    }
}

pub use crate::db::Position;

/// Up to `limit` orders after `start`, newest first, and where to continue if there are more.
pub async fn list(
    table: &Table,
    listing: &Listing,
    limit: usize,
    start: Option<Position>,
) -> Result<(Vec<OrderItem>, Option<Position>), ApiError> {
    let (index, partition) = listing.index();
    let (items, next) = crate::db::newest_first(table, index, &partition, limit, start).await?;
    let orders = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
    Ok((orders, next))
}

/// Up to `limit` orders still waiting for their payment whose `expires_at` is before `now`,
/// oldest expiry first, and where the next page starts.
pub async fn due(
    table: &Table,
    now: i64,
    limit: i32,
    start: Option<Item>,
) -> Result<(Vec<OrderItem>, Option<Item>), ApiError> {
    let pending = keys::status(OrderStatus::PendingPayment);
    crate::db::below(
        table,
        Index::Gsi2,
        &pending,
        keys::due_bound(now),
        limit,
        start,
    )
    .await
}

/// Every order created from `from_ms` (included) to `to_ms` (excluded), a page at a time:
/// `each` sees each page and nothing keeps them all.
pub async fn created_between(
    table: &Table,
    from_ms: u64,
    to_ms: u64,
    mut each: impl FnMut(Vec<OrderItem>),
) -> Result<(), ApiError> {
    let lower = ulid::Ulid::from_parts(from_ms, 0).to_string();
    let upper = ulid::Ulid::from_parts(to_ms, 0).to_string();
    let query = table
        .query_partition(Index::Gsi3, keys::ALL, Some("BETWEEN :lower AND :upper"))
        .expression_attribute_values(":lower", string(lower))
        .expression_attribute_values(":upper", string(upper.clone()));
    for_each_page(query, |page| {
        let orders = page
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<OrderItem>, _>>()?;
        // `BETWEEN` includes the upper bound: the first id of `to_ms` is not this range's.
        each(orders.into_iter().filter(|o| o.id < upper).collect());
        Ok(())
    })
    .await
}

/// How many orders a listing holds (`Select=COUNT`, page by page: nothing is read but keys).
pub async fn count(table: &Table, listing: &Listing) -> Result<u64, ApiError> {
    let (index, partition) = listing.index();
    let query = table
        .query_partition(index, partition, None)
        .select(aws_sdk_dynamodb::types::Select::Count);
    let mut total = 0u64;
    for_each_page(query, |page| {
        total += u64::try_from(page.count).unwrap_or(0);
        Ok(())
    })
    .await?;
    Ok(total)
}

/// An order as the dashboard counts it: its status and its money.
#[derive(Debug, Clone, Deserialize)]
pub struct Brief {
    pub status: OrderStatus,
    pub total_cents: i64,
    #[serde(default)]
    pub discount_cents: i64,
    #[serde(default)]
    pub shipping_cents: i64,
    #[serde(default)]
    pub tax_cents: i64,
}

/// Every order created at or after `since_ms`, briefly (ids are ULIDs, so the index range of
/// ids from that millisecond on is exactly those orders).
pub async fn created_since(table: &Table, since_ms: u64) -> Result<Vec<Brief>, ApiError> {
    let lower = ulid::Ulid::from_parts(since_ms, 0).to_string();
    let query = table
        .query_partition(Index::Gsi3, keys::ALL, Some(">= :lower"))
        .expression_attribute_values(":lower", string(lower))
        .projection_expression("#status, total_cents, discount_cents, shipping_cents, tax_cents")
        .expression_attribute_names("#status", "status");
    let mut found = Vec::new();
    for_each_page(query, |page| {
        for item in page.items.unwrap_or_default() {
            found.push(from_item(item)?);
        }
        Ok(())
    })
    .await?;
    Ok(found)
}
