//! The orders' DynamoDB access. A checkout and every move of an order are single transactions:
//! the order and the stock of its products change together or not at all, and each is
//! conditional on what it read (stock enough, the order still in the state it moves from).

use std::collections::HashMap;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use serde::Deserialize;

use super::keys;
use super::model::{OrderItem, RefundStatus};
use super::state::{OrderStatus, Transition};
use crate::catalog::keys as catalog_keys;
use crate::db::{
    CONFLICT_RETRIES, Index, Item, Table, backoff, for_each_page, from_item, number, string,
    to_item, transact,
};
use crate::error::ApiError;

/// The product fields a checkout copies into its order.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductSnapshot {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub price_cents: i64,
    pub stock: i64,
    pub active: bool,
}

/// The products of `ids` that exist, by id (strongly consistent).
pub async fn products(
    table: &Table,
    ids: &[String],
) -> Result<HashMap<String, ProductSnapshot>, ApiError> {
    let mut found = HashMap::new();
    let mut keys: Vec<Item> = ids
        .iter()
        .map(|id| {
            HashMap::from([
                ("pk".to_owned(), string(catalog_keys::product(id))),
                ("sk".to_owned(), string(catalog_keys::PRODUCT_SK)),
            ])
        })
        .collect();
    let mut round = 0u32;
    while !keys.is_empty() {
        let request = KeysAndAttributes::builder()
            .set_keys(Some(std::mem::take(&mut keys)))
            .consistent_read(true)
            .projection_expression("id, sku, #name, price_cents, stock, active")
            .expression_attribute_names("#name", "name")
            .build()
            .map_err(ApiError::internal)?;
        let output = table
            .client
            .batch_get_item()
            .request_items(&table.name, request)
            .send()
            .await?;
        for item in output
            .responses
            .and_then(|mut r| r.remove(&table.name))
            .unwrap_or_default()
        {
            let product: ProductSnapshot = from_item(item)?;
            found.insert(product.id.clone(), product);
        }
        keys = output
            .unprocessed_keys
            .and_then(|mut u| u.remove(&table.name))
            .map(|k| k.keys)
            .unwrap_or_default();
        if !keys.is_empty() {
            round += 1;
            if round > CONFLICT_RETRIES {
                return Err(ApiError::unavailable(
                    "DynamoDB left product reads unprocessed",
                ));
            }
            tokio::time::sleep(backoff(round)).await;
        }
    }
    Ok(found)
}

/// Why a checkout's transaction was refused, line by line (indexes into the order's lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckoutRefused {
    /// Not enough stock: the line and the units left.
    OutOfStock(Vec<(usize, i64)>),
    /// Products gone inactive, or whose price changed, since they were read.
    Changed(Vec<usize>),
    /// The customer already has `max_unpaid` orders waiting for their payment.
    TooManyUnpaid,
    /// An order with this id exists: an earlier attempt at the same checkout placed it.
    Exists,
}

/// Writes a new order, counts it among its customer's unpaid orders (at most `max_unpaid`) and
/// takes the stock of every line, all or nothing.
pub async fn place(
    table: &Table,
    order: &OrderItem,
    prices: &[i64],
    max_unpaid: i64,
) -> Result<Result<(), CheckoutRefused>, ApiError> {
    /// The order's put, then the counter; the lines' stock after them.
    const FIRST_LINE: usize = 2;
    let hold = table
        .update_of(keys::unpaid(&order.user_id), keys::UNPAID_SK)
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
    for (line, price) in order.lines.iter().zip(prices) {
        let update = table
            .update_of(
                catalog_keys::product(&line.product_id),
                catalog_keys::PRODUCT_SK,
            )
            .update_expression("SET stock = stock - :q")
            .condition_expression(
                "attribute_exists(pk) AND active = :true AND stock >= :q AND price_cents = :price",
            )
            .expression_attribute_values(":q", number(line.quantity))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":price", number(*price))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(ApiError::internal)?;
        writes.push(TransactWriteItem::builder().update(update).build());
    }
    let token = format!("checkout {}", order.id);
    match transact(table, writes, Some(&token)).await {
        Ok(()) => Ok(Ok(())),
        Err(err) => {
            let reasons = cancellation(&err);
            if reasons.first().is_some_and(|r| r.failed) {
                return Ok(Err(CheckoutRefused::Exists));
            }
            if reasons.get(1).is_some_and(|r| r.failed) {
                return Ok(Err(CheckoutRefused::TooManyUnpaid));
            }
            let mut short = Vec::new();
            let mut changed = Vec::new();
            for (index, price) in prices.iter().enumerate() {
                let Some(reason) = reasons.get(index + FIRST_LINE).filter(|r| r.failed) else {
                    continue;
                };
                let current = reason
                    .item
                    .clone()
                    .and_then(|item| from_item::<ProductSnapshot>(item).ok());
                match current {
                    Some(p) if p.active && p.price_cents == *price => {
                        short.push((index, p.stock.max(0)));
                    }
                    _ => changed.push(index),
                }
            }
            if !short.is_empty() {
                Ok(Err(CheckoutRefused::OutOfStock(short)))
            } else if !changed.is_empty() {
                Ok(Err(CheckoutRefused::Changed(changed)))
            } else {
                Err(crate::db::transaction_failed(err))
            }
        }
    }
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

/// What a move writes besides the new status.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub refund_status: Option<RefundStatus>,
    pub refund_id: Option<String>,
    pub tracking_number: Option<String>,
    pub payment_status: Option<String>,
    /// Written in the same transaction: a refund the move owes, the mark of the event that
    /// made it. Any of their conditions failing fails the move (`Ok(None)`).
    pub also: Vec<TransactWriteItem>,
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
    if let Some(refund) = changes.refund_status {
        set.push("refund_status = :refund");
        values.insert(":refund".to_owned(), string(refund.as_str()));
        after.refund_status = Some(refund);
    }
    if let Some(refund_id) = &changes.refund_id {
        set.push("refund_id = :refund_id");
        values.insert(":refund_id".to_owned(), string(refund_id));
        after.refund_id = Some(refund_id.clone());
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
        .update_expression(format!("SET {}", set.join(", ")))
        .condition_expression("#status = :from AND payment.payment_intent_id = :intent")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(ApiError::internal)?;
    let mut writes = vec![TransactWriteItem::builder().update(update).build()];
    writes.extend(changes.also.iter().cloned());
    if transition.from == OrderStatus::PendingPayment {
        // No longer waiting for its payment: its customer may place another.
        let release = table
            .update_of(keys::unpaid(&order.user_id), keys::UNPAID_SK)
            .update_expression("ADD #count :minus_one")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":minus_one", number(-1))
            .build()
            .map_err(ApiError::internal)?;
        writes.push(TransactWriteItem::builder().update(release).build());
    }
    if transition.returns_stock {
        for line in &order.lines {
            let give_back = table
                .update_of(
                    catalog_keys::product(&line.product_id),
                    catalog_keys::PRODUCT_SK,
                )
                .update_expression("SET stock = stock + :q")
                // Products are never deleted (only made inactive), so the item is there.
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":q", number(line.quantity))
                .build()
                .map_err(ApiError::internal)?;
            writes.push(TransactWriteItem::builder().update(give_back).build());
        }
    }
    match transact(table, writes, Some(&move_id)).await {
        Ok(()) => Ok(Some(after)),
        Err(err) if crate::db::any_condition_failed(&err) => {
            // The order as the failed attempt found it: moved by this very call (its first
            // attempt applied, its answer lost), or by another.
            let found = cancellation(&err)
                .into_iter()
                .next()
                .and_then(|reason| reason.item)
                .and_then(|item| from_item::<OrderItem>(item).ok());
            if found.is_some_and(|o| o.last_move.as_deref() == Some(move_id.as_str())) {
                return Ok(Some(after));
            }
            Ok(None)
        }
        Err(err) => Err(crate::db::transaction_failed(err)),
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
    let writes = vec![TransactWriteItem::builder().update(update).build(), mark];
    crate::db::transact_if(table, writes, None).await?;
    Ok(())
}

/// A refund owed on an order that keeps its status (money that came late, or for the wrong
/// amount): the order says a refund is pending, the refund is written, and `mark` (the event's)
/// with them. `Ok(false)`: nothing written, as the order is no longer `status`, already owes a
/// refund, or the event was handled.
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
        .update_expression("SET refund_status = :pending, refund_id = :refund, updated_at = :now")
        .condition_expression(
            "#status = :status AND payment.payment_intent_id = :intent AND attribute_not_exists(refund_status)",
        )
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":pending", string(RefundStatus::Pending.as_str()))
        .expression_attribute_values(":refund", string(&refund.id))
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

/// The status and total of every order created at or after `since_ms` (ids are ULIDs, so the
/// index range of ids from that millisecond on is exactly those orders).
pub async fn created_since(
    table: &Table,
    since_ms: u64,
) -> Result<Vec<(OrderStatus, i64)>, ApiError> {
    #[derive(Deserialize)]
    struct Brief {
        status: OrderStatus,
        total_cents: i64,
    }
    let lower = ulid::Ulid::from_parts(since_ms, 0).to_string();
    let query = table
        .query_partition(Index::Gsi3, keys::ALL, Some(">= :lower"))
        .expression_attribute_values(":lower", string(lower))
        .projection_expression("#status, total_cents")
        .expression_attribute_names("#status", "status");
    let mut found = Vec::new();
    for_each_page(query, |page| {
        for item in page.items.unwrap_or_default() {
            let brief: Brief = from_item(item)?;
            found.push((brief.status, brief.total_cents));
        }
        Ok(())
    })
    .await?;
    Ok(found)
}

/// One item's part in a cancelled transaction.
struct Reason {
    failed: bool,
    item: Option<Item>,
}

fn cancellation(err: &SdkError<TransactWriteItemsError, HttpResponse>) -> Vec<Reason> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
            .cancellation_reasons()
            .iter()
            .map(|reason| Reason {
                failed: reason.code() == Some("ConditionalCheckFailed"),
                item: reason.item().cloned(),
            })
            .collect(),
        _ => Vec::new(),
    }
}
