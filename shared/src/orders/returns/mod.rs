//! Returns: a customer sends back some units of a delivered order, within 30 days of its
//! delivery; the shop receives them (their paid share is refunded and, if asked, they come back
//! to stock) or rejects the return. Each line counts the units its returns hold
//! (`returned_quantity`, raised by a request and lowered by a rejection, in the return's own
//! transaction), so no more can be asked back than was bought, however requests race.
//!
//! ```text
//! requested ──receive──▶ received (refunded, restocked if asked)
//!     └──────reject────▶ rejected (its units may be asked back again)
//! ```
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | return | `RETURN#<id>` | `RETURN` | gsi1 `ORDER#<order id>`/id, gsi2 `RETURNS#<status>`/id, gsi3 `RETURNS`/id |

mod service;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::keys;
use super::model::{OrderItem, Quantity};
use super::refunds::RefundLine;
use super::state::OrderStatus;
use crate::clock::rfc3339;
use crate::db::{Table, number, put_if, string};
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::ids::Id;
use crate::values::parsed_from_text;

pub use service::ReturnEnvelope;

/// How long after its delivery an order's units may be asked back.
pub const RETURN_WINDOW_SECS: i64 = 30 * 86_400;

pub fn key(id: &str) -> String {
    format!("RETURN#{id}")
}
pub const SK: &str = "RETURN";
/// The gsi3 partition of every return.
pub const ALL: &str = "RETURNS";

/// The gsi2 partition of the returns in `status`.
pub fn status_key(status: ReturnStatus) -> String {
    format!("RETURNS#{}", status.as_str())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    Requested,
    Received,
    Rejected,
}

impl ReturnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Received => "received",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Requested, Self::Received, Self::Rejected]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// A step as a query names it (`?status=requested`); the error is the field's message.
impl std::str::FromStr for ReturnStatus {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text).ok_or("must be requested, received or rejected")
    }
}

/// Why: 1–500 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnNote(String);

impl ReturnNote {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        crate::text::single_line(raw, 500).map(Self)
    }
}
parsed_from_text!(ReturnNote);

/// Units of one of the order's lines to send back.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineAsk {
    pub variant_id: Id,
    pub quantity: Quantity,
}

/// `POST /orders/{id}/returns`'s body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReturn {
    pub lines: Vec<ReturnLineAsk>,
    pub reason: ReturnNote,
}

impl crate::http::Input for NewReturn {
    const REQUIRED: &'static [&'static str] = &["lines", "reason"];
}

/// `POST /admin/returns/{id}/receive`'s body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub restock: bool,
}

impl crate::http::Input for Receipt {
    const REQUIRED: &'static [&'static str] = &["restock"];
}

/// `POST /admin/returns/{id}/reject`'s body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    pub reason: ReturnNote,
}

impl crate::http::Input for Rejection {
    const REQUIRED: &'static [&'static str] = &["reason"];
}

/// A return as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReturnItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub gsi2pk: String,
    pub gsi2sk: String,
    pub gsi3pk: String,
    pub gsi3sk: String,
    pub id: String,
    pub order_id: String,
    /// The order's customer, who asked.
    pub user_id: String,
    pub lines: Vec<RefundLine>,
    pub reason: String,
    pub status: ReturnStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    #[serde(default)]
    pub restock: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// The staff member who received or rejected it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A return as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Return {
    pub id: String,
    pub order_id: String,
    pub lines: Vec<RefundLine>,
    pub reason: String,
    pub status: ReturnStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    pub restock: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl ReturnItem {
    /// A new return of `lines` of `order`, asked for at `now`.
    pub fn new(order: &OrderItem, lines: Vec<RefundLine>, reason: String, now: i64) -> Self {
        let id = Id::new().to_string();
        Self {
            pk: key(&id),
            sk: SK.to_owned(),
            gsi1pk: keys::order(&order.id),
            gsi1sk: id.clone(),
            gsi2pk: status_key(ReturnStatus::Requested),
            gsi2sk: id.clone(),
            gsi3pk: ALL.to_owned(),
            gsi3sk: id.clone(),
            id,
            order_id: order.id.clone(),
            user_id: order.user_id.clone(),
            lines,
            reason,
            status: ReturnStatus::Requested,
            refund_id: None,
            restock: false,
            rejection_reason: None,
            handled_by: None,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn view(&self) -> Return {
        Return {
            id: self.id.clone(),
            order_id: self.order_id.clone(),
            lines: self.lines.clone(),
            reason: self.reason.clone(),
            status: self.status,
            refund_id: self.refund_id.clone(),
            restock: self.restock,
            rejection_reason: self.rejection_reason.clone(),
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
        }
    }

    /// The return as `by` leaves it, received or rejected at `now`.
    pub fn handled(&mut self, status: ReturnStatus, by: &crate::auth::Principal, now: i64) {
        self.status = status;
        self.handled_by = Some(by.user_id.clone());
        self.updated_at = now;
    }

    /// The lines as a refund asks for them.
    pub fn asked(&self) -> Vec<(Id, i64)> {
        self.lines
            .iter()
            .filter_map(|line| Id::parse(&line.variant_id).map(|id| (id, line.quantity)))
            .collect()
    }
}

/// A return planned against the order as read: the record, and per line its index, units and
/// the units its returns held before.
#[derive(Debug, Clone)]
pub struct Planned {
    pub item: ReturnItem,
    pub lines: Vec<(usize, i64, i64)>,
}

/// Plans a return of `asked` from `order` at `now`: a pure function. A delivered order within
/// 30 days of its delivery only (else `409 invalid_transition`); each line once, of the
/// order, no more units than were bought less what its returns hold (else `400` naming it).
pub fn plan(
    order: &OrderItem,
    asked: &[(Id, i64)],
    reason: String,
    now: i64,
) -> Result<Planned, ApiError> {
    let closed = |detail: String| ApiError::Conflict {
        code: ErrorCode::InvalidTransition,
        detail,
    };
    if order.status != OrderStatus::Delivered {
        return Err(closed(format!(
            "An order that is {} cannot be returned: only a delivered one.",
            order.status.as_str()
        )));
    }
    let delivered = order.delivered_at.unwrap_or(order.updated_at);
    if now > delivered + RETURN_WINDOW_SECS {
        return Err(closed(
            "This order was delivered more than 30 days ago: it can no longer be returned."
                .to_owned(),
        ));
    }
    let (named, mut errors) = super::rules::named_lines(order, asked);
    let mut lines = Vec::new();
    let mut planned: Vec<(usize, i64, i64)> = Vec::new();
    for super::rules::Named { ask, index, units } in named {
        let line = &order.lines[index];
        let left = line.quantity - line.returned_quantity;
        if units > left {
            errors.push(FieldError::new(
                format!("lines[{ask}].quantity"),
                format!("at most {left} units of this line can still be returned"),
            ));
            continue;
        }
        planned.push((index, units, line.returned_quantity));
        lines.push(RefundLine {
            variant_id: line.variant().to_owned(),
            quantity: units,
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(Planned {
        item: ReturnItem::new(order, lines, reason, now),
        lines: planned,
    })
}

/// The order's side of a return: its lines' returned units moved by `delta` per unit (`1` for
/// a request, `-1` for a rejection), on the condition that each is still what was read (a
/// rejection: that it holds the units), and, for a request, that the order is still delivered.
fn order_update(
    table: &Table,
    order_id: &str,
    lines: &[(usize, i64, i64)],
    request: bool,
    now: i64,
) -> Result<TransactWriteItem, ApiError> {
    let mut sets = vec!["updated_at = :now".to_owned()];
    let mut conditions = vec!["attribute_exists(pk)".to_owned()];
    let mut values: std::collections::HashMap<String, AttributeValue> =
        std::collections::HashMap::from([(":now".to_owned(), number(now))]);
    if request {
        conditions.push("#status = :delivered".to_owned());
        values.insert(
            ":delivered".to_owned(),
            string(OrderStatus::Delivered.as_str()),
        );
    }
    for (index, units, before) in lines {
        let path = format!("#lines[{index}].#returned");
        if request {
            sets.push(format!("{path} = :after{index}"));
            conditions.push(format!(
                "(attribute_not_exists({path}) OR {path} = :before{index})"
            ));
            values.insert(format!(":after{index}"), number(before + units));
            values.insert(format!(":before{index}"), number(*before));
        } else {
            sets.push(format!("{path} = {path} - :units{index}"));
            conditions.push(format!("{path} >= :units{index}"));
            values.insert(format!(":units{index}"), number(*units));
        }
    }
    let mut update = table
        .update_of(keys::order(order_id), keys::ORDER_SK)
        .update_expression(format!("SET {}", sets.join(", ")))
        .condition_expression(conditions.join(" AND "))
        .expression_attribute_names("#lines", "lines")
        .expression_attribute_names("#returned", "returned_quantity")
        .set_expression_attribute_values(Some(values));
    if request {
        update = update.expression_attribute_names("#status", "status");
    }
    Ok(TransactWriteItem::builder()
        .update(update.build().map_err(ApiError::internal)?)
        .build())
}

/// A return's move out of `requested`, on the condition that it is still requested.
fn settle(
    table: &Table,
    item: &ReturnItem,
    to: ReturnStatus,
    by: &str,
    extra: &[(&str, AttributeValue)],
    now: i64,
) -> Result<TransactWriteItem, ApiError> {
    let mut sets = vec![
        "#status = :to".to_owned(),
        "gsi2pk = :partition".to_owned(),
        "handled_by = :by".to_owned(),
        "updated_at = :now".to_owned(),
    ];
    let mut update = table
        .update_of(&item.pk, &item.sk)
        .condition_expression("#status = :requested")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":to", string(to.as_str()))
        .expression_attribute_values(":partition", string(status_key(to)))
        .expression_attribute_values(":by", string(by))
        .expression_attribute_values(":now", number(now))
        .expression_attribute_values(":requested", string(ReturnStatus::Requested.as_str()));
    for (i, (name, value)) in extra.iter().enumerate() {
        sets.push(format!("{name} = :extra{i}"));
        update = update.expression_attribute_values(format!(":extra{i}"), value.clone());
    }
    let update = update
        .update_expression(format!("SET {}", sets.join(", ")))
        .build()
        .map_err(ApiError::internal)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

fn put(table: &Table, item: &ReturnItem) -> Result<TransactWriteItem, ApiError> {
    put_if(table, item, "attribute_not_exists(pk)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::refunds::fixture::{self, refused};

    const V1: &str = "01JAAAAAAAAAAAAAAAAAAAAA01";
    const V9: &str = "01JAAAAAAAAAAAAAAAAAAAAA09";

    fn id(s: &str) -> Id {
        Id::parse(s).expect("an id")
    }

    fn delivered(at: i64) -> OrderItem {
        let mut order = fixture::paid(&[(V1, 2000, 3, 0, 0)], 0);
        order.status = OrderStatus::Delivered;
        order.delivered_at = Some(at);
        order
    }

    #[test]
    fn a_delivered_orders_units_may_come_back_within_thirty_days_and_no_more_than_were_bought() {
        let mut order = delivered(1_000);
        let two = plan(
            &order,
            &[(id(V1), 2)],
            "too big".into(),
            1_000 + RETURN_WINDOW_SECS,
        )
        .expect("planned");
        assert_eq!(two.lines, vec![(0, 2, 0)]);
        assert_eq!(two.item.status, ReturnStatus::Requested);
        order.lines[0].returned_quantity = 2;
        let err = plan(&order, &[(id(V1), 2)], "r".into(), 2_000).unwrap_err();
        assert_eq!(
            refused(err),
            "lines[0].quantity: at most 1 units of this line can still be returned"
        );
        let late = plan(
            &order,
            &[(id(V1), 1)],
            "r".into(),
            1_001 + RETURN_WINDOW_SECS,
        );
        assert_eq!(refused(late.unwrap_err()), "invalid_transition");
        let other = plan(&order, &[(id(V9), 1)], "r".into(), 2_000).unwrap_err();
        assert_eq!(
            refused(other),
            "lines[0].variant_id: is not a line of this order"
        );
        let twice = plan(&order, &[(id(V1), 1), (id(V1), 1)], "r".into(), 2_000);
        assert_eq!(
            refused(twice.unwrap_err()),
            "lines[1].variant_id: names a line a second time"
        );
        let mut shipped = order.clone();
        shipped.status = OrderStatus::Shipped;
        let err = plan(&shipped, &[(id(V1), 1)], "r".into(), 2_000).unwrap_err();
        assert_eq!(refused(err), "invalid_transition");
    }
}
