//! An order's timeline, for its staff: every change of it in order, each with who made it
//! (its customer, staff, Stripe, a job). A move of the order (placed, paid, a payment that
//! failed, cancelled, expired, shipped, delivered) writes its event in the move's own
//! transaction; refunds, returns and emails are records of their own already, read beside them.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | an event of an order | `ORDER#<id>` | `EVENT#<at, 12 digits>#<id>` |

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::keys;
use super::model::OrderItem;
use super::refunds::{RefundItem, RefundState};
use super::returns::{ReturnItem, ReturnStatus};
use crate::clock::rfc3339;
use crate::db::{Index, Table, from_item, put_if};
use crate::error::ApiError;
use crate::ids::Id;

const PREFIX: &str = "EVENT#";

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct By {
    /// `customer`, `guest`, `staff`, `stripe` or `job`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl By {
    pub fn customer(order: &OrderItem) -> Self {
        if order.user_id.is_empty() {
            Self::named("guest", None)
        } else {
            Self::named("customer", Some(order.user_id.clone()))
        }
    }

    pub fn staff(user_id: &str) -> Self {
        Self::named("staff", Some(user_id.to_owned()))
    }

    pub fn stripe() -> Self {
        Self::named("stripe", None)
    }

    pub fn job() -> Self {
        Self::named("job", None)
    }

    fn named(kind: &str, id: Option<String>) -> Self {
        Self {
            kind: kind.to_owned(),
            id,
        }
    }
}

/// An event as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventItem {
    pub pk: String,
    pub sk: String,
    pub at: i64,
    pub kind: String,
    pub by: By,
    #[serde(default)]
    pub detail: BTreeMap<String, Value>,
}

impl EventItem {
    pub fn new(order_id: &str, kind: &str, by: By, detail: Value, now: i64) -> Self {
        let detail = map_of(detail);
        Self {
            pk: keys::order(order_id),
            sk: format!("{PREFIX}{}#{}", keys::due_bound(now), Id::new()),
            at: now,
            kind: kind.to_owned(),
            by,
            detail,
        }
    }

    /// The transaction's put of the event (new by its key).
    pub fn put(&self, table: &Table) -> Result<TransactWriteItem, ApiError> {
        put_if(table, self, "attribute_not_exists(pk)")
    }
}

/// `GET /admin/orders/{id}/timeline`'s answer.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub order_id: String,
    pub events: Vec<Event>,
}

/// The timeline's event of a move: by the staff member who made it, else by whom the move is
/// (Stripe pays, the expiry job expires, the customer cancels).
pub(super) fn moved(
    order: &OrderItem,
    transition: super::state::Transition,
    changes: &super::repo::Changes,
    now: i64,
) -> EventItem {
    let by = match (&changes.audit, transition.to) {
        (Some((actor, _)), _) => By::staff(&actor.user_id),
        (None, super::state::OrderStatus::Paid) => By::stripe(),
        (None, super::state::OrderStatus::Expired) => By::job(),
        (None, _) => By::customer(order),
    };
    let mut detail = serde_json::json!({"from": transition.from.as_str()});
    if let Some(tracking) = &changes.tracking_number {
        detail["tracking_number"] = tracking.clone().into();
    }
    if let Some(cents) = changes.refund_cents {
        detail["refund_cents"] = cents.into();
    }
    EventItem::new(&order.id, transition.to.as_str(), by, detail, now)
}

/// One line of the timeline, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub at: String,
    pub kind: String,
    pub by: By,
    pub detail: BTreeMap<String, Value>,
    #[serde(skip)]
    order: (i64, u8),
}

impl Event {
    fn of(at: i64, rank: u8, kind: &str, by: By, detail: Value) -> Self {
        Self {
            at: rfc3339(at),
            kind: kind.to_owned(),
            by,
            detail: map_of(detail),
            order: (at, rank),
        }
    }
}

fn map_of(detail: Value) -> BTreeMap<String, Value> {
    match detail {
        Value::Object(map) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

/// The timeline of an order from its partition's items (its events, refunds and emails sent)
/// and its returns: a pure function of them, oldest first.
pub fn assemble(
    items: Vec<crate::db::Item>,
    returns: &[ReturnItem],
) -> Result<Vec<Event>, ApiError> {
    let mut events = Vec::new();
    for item in items {
        let sk = super::repo::sort_key_of(&item).to_owned();
        if sk.starts_with(PREFIX) {
            let event: EventItem = from_item(item)?;
            events.push(Event::of(
                event.at,
                0,
                &event.kind,
                event.by,
                json!(event.detail),
            ));
        } else if sk.starts_with("REFUND#") {
            let refund: RefundItem = from_item(item)?;
            let by = refund.actor_id.as_deref().map_or_else(By::job, By::staff);
            let detail = json!({"refund_id": refund.id, "amount_cents": refund.amount_cents,
                                "reason": refund.reason});
            events.push(Event::of(
                refund.created_at,
                1,
                "refund_requested",
                by,
                detail.clone(),
            ));
            if refund.status != RefundState::Pending {
                let kind = format!("refund_{}", refund.status.as_str());
                events.push(Event::of(refund.updated_at, 2, &kind, By::stripe(), detail));
            }
        } else if let Some(kind) = sk.strip_prefix("MAIL#") {
            let at = item
                .get("sent_at")
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            events.push(Event::of(
                at,
                3,
                "email_sent",
                By::job(),
                json!({"email": kind}),
            ));
        }
    }
    for item in returns {
        let detail = json!({"return_id": item.id, "lines": item.lines});
        let by = By::named("customer", Some(item.user_id.clone()));
        events.push(Event::of(
            item.created_at,
            1,
            "return_requested",
            by,
            detail.clone(),
        ));
        if item.status != ReturnStatus::Requested {
            let kind = format!("return_{}", item.status.as_str());
            let by = By::staff(item.handled_by.as_deref().unwrap_or_default());
            events.push(Event::of(item.updated_at, 2, &kind, by, detail));
        }
    }
    events.sort_by_key(|e| e.order);
    Ok(events)
}

/// The order `id`'s timeline: its partition in one query, its returns in another; `None` when
/// there is no such order.
pub async fn of(table: &Table, id: &str) -> Result<Option<Vec<Event>>, ApiError> {
    let items = super::repo::partition(table, id).await?;
    if !items
        .iter()
        .any(|item| super::repo::sort_key_of(item) == keys::ORDER_SK)
    {
        return Ok(None);
    }
    let mut returns = Vec::new();
    let query = table.query_partition(Index::Gsi1, keys::order(id), None);
    crate::db::for_each_page(query, |page| {
        for item in page.items.unwrap_or_default() {
            returns.push(from_item::<ReturnItem>(item)?);
        }
        Ok(())
    })
    .await?;
    assemble(items, &returns).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(value: Value) -> crate::db::Item {
        crate::db::to_item(&value).expect("an item")
    }

    #[test]
    fn the_timeline_is_every_record_of_the_order_oldest_first_with_who_made_it() {
        let placed = EventItem::new("o1", "placed", By::job(), json!({}), 100);
        let shipped = EventItem::new(
            "o1",
            "shipped",
            By::staff("s1"),
            json!({"tracking_number": "T"}),
            300,
        );
        let refund = json!({"pk": "ORDER#o1", "sk": "REFUND#r1", "id": "r1", "order_id": "o1",
            "payment_intent_id": "pi", "amount_cents": 500, "currency": "eur", "reason": "late",
            "actor_id": "a1", "status": "succeeded", "attempts": 1, "created_at": 200,
            "updated_at": 250});
        let mail = json!({"pk": "ORDER#o1", "sk": "MAIL#shipping_notice", "sent_at": 310});
        let items = vec![
            item(serde_json::to_value(&shipped).unwrap()),
            item(refund),
            item(mail),
            item(serde_json::to_value(&placed).unwrap()),
            item(json!({"pk": "ORDER#o1", "sk": "ORDER"})),
        ];
        let events = assemble(items, &[]).expect("assembled");
        let kinds: Vec<(&str, &str)> = events
            .iter()
            .map(|e| (e.kind.as_str(), e.by.kind.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("placed", "job"),
                ("refund_requested", "staff"),
                ("refund_succeeded", "stripe"),
                ("shipped", "staff"),
                ("email_sent", "job"),
            ]
        );
        assert_eq!(events[3].detail["tracking_number"], "T");
        assert_eq!(events[4].detail["email"], "shipping_notice");
    }
}
