//! The order emails: the confirmation when an order is paid, the notice when it ships, and a
//! return's at each of its steps. The mail
//! function renders them from the order as it is when the job is taken off the queue, and marks
//! each sent, so that a job the queue delivers twice sends one email.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | an order email sent | `ORDER#<id>` | `MAIL#<kind>` |
//! | a return's email sent | `RETURN#<id>` | `MAIL#return_<status>` |

use super::keys;
use super::model::OrderItem;
use super::returns::{self, ReturnItem, ReturnStatus};
use crate::db::{Table, number, string};
use crate::error::ApiError;
use crate::mail::{Email, html_escape};

/// Which order email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEmail {
    Confirmation,
    ShippingNotice,
}

impl OrderEmail {
    fn sk(self) -> &'static str {
        match self {
            Self::Confirmation => "MAIL#order_confirmation",
            Self::ShippingNotice => "MAIL#shipping_notice",
        }
    }
}

/// The order emails' reads and marks, and the link a guest's confirmation carries.
#[derive(Clone)]
pub struct OrderMail {
    table: Table,
    /// The shop's page of a guest's order (`ORDER_STATUS_URL`).
    status_url: String,
    /// The keys whose order-token key opens a guest order's sealed token, read when a guest's
    /// confirmation first needs them.
    keys: std::sync::Arc<crate::secrets::LazyKeys>,
}

impl std::fmt::Debug for OrderMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderMail")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl OrderMail {
    pub fn new(table: Table, status_url: String, keys: crate::secrets::LazyKeys) -> Self {
        Self {
            table,
            status_url,
            keys: std::sync::Arc::new(keys),
        }
    }

    /// The link to a guest's order with its token (`?order=&token=`), for its confirmation;
    /// `None` for a customer's order, or one whose token was sealed under a rotated key.
    pub async fn guest_link(&self, order: &OrderItem) -> Result<Option<String>, ApiError> {
        let Some(sealed) = &order.token_sealed else {
            return Ok(None);
        };
        let keys = self.keys.get().await?;
        Ok(super::guest::open(keys.order_token_key(), sealed)
            .map(|token| format!("{}?order={}&token={token}", self.status_url, order.id)))
    }

    /// The order the email is about, unless that email was already sent.
    pub async fn unsent(
        &self,
        kind: OrderEmail,
        order_id: &str,
    ) -> Result<Option<OrderItem>, ApiError> {
        if self.sent(&keys::order(order_id), kind.sk()).await? {
            tracing::info!("order email already sent; not sent again");
            return Ok(None);
        }
        super::repo::get(&self.table, order_id).await
    }

    /// Whether the email marked `pk`/`sk` was sent.
    async fn sent(&self, pk: &str, sk: &str) -> Result<bool, ApiError> {
        let mark: Option<serde_json::Value> = self.table.get(pk, sk).await?;
        Ok(mark.is_some())
    }

    /// Marks the email `pk`/`sk` sent at `now`.
    async fn mark(&self, pk: String, sk: String, now: i64) -> Result<(), ApiError> {
        self.table
            .client
            .put_item()
            .table_name(&self.table.name)
            .item("pk", string(pk))
            .item("sk", string(sk))
            .item("sent_at", number(now))
            .send()
            .await?;
        Ok(())
    }

    /// Remembers that the email was sent.
    pub async fn mark_sent(
        &self,
        kind: OrderEmail,
        order_id: &str,
        now: i64,
    ) -> Result<(), ApiError> {
        self.mark(keys::order(order_id), kind.sk().to_owned(), now)
            .await
    }
}

/// A variant's option values as one line of text: `Size: M; Colour: Red`.
pub fn options_text(options: &std::collections::BTreeMap<String, String>) -> String {
    options
        .iter()
        .map(|(name, value)| format!("{name}: {value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// ` — Size: M; Colour: Red` after a line's name, or nothing.
fn described(options: &std::collections::BTreeMap<String, String>) -> String {
    if options.is_empty() {
        String::new()
    } else {
        format!(" — {}", options_text(options))
    }
}

/// The email of `kind` about `order`, to `to` (address, name), with `link` to the order
/// (a guest's, whose token is in it) if there is one.
pub fn render(
    kind: OrderEmail,
    order: &OrderItem,
    to: (String, String),
    link: Option<&str>,
) -> Email {
    let (address, name) = to;
    let money = |cents: i64| format!("{}.{:02} {}", cents / 100, cents % 100, order.currency);
    let lines_text: Vec<String> = order
        .lines
        .iter()
        .map(|l| {
            format!(
                "  {} x {}{} ({}) {}",
                l.quantity,
                l.name,
                described(&l.options),
                l.sku,
                money(l.line_total_cents)
            )
        })
        .collect();
    let lines_html: String = order
        .lines
        .iter()
        .map(|l| {
            format!(
                "<li>{} &times; {}{} ({}) {}</li>",
                l.quantity,
                html_escape(&l.name),
                html_escape(&described(&l.options)),
                html_escape(&l.sku),
                money(l.line_total_cents)
            )
        })
        .collect();
    let (subject, intro, extra_text, extra_html) = match kind {
        OrderEmail::Confirmation => (
            format!("Order {} confirmed", order.id),
            "thank you: your payment arrived and your order is confirmed.".to_owned(),
            link.map_or_else(String::new, |link| {
                format!("Your order, whenever you want to see it: {link}\n\n")
            }),
            link.map_or_else(String::new, |link| {
                format!(
                    "<p><a href=\"{}\">Your order</a>, whenever you want to see it.</p>",
                    html_escape(link)
                )
            }),
        ),
        OrderEmail::ShippingNotice => {
            let tracking = order.tracking_number.clone().unwrap_or_default();
            (
                format!("Order {} shipped", order.id),
                "your order is on its way.".to_owned(),
                format!("Tracking number: {tracking}\n\n"),
                format!("<p>Tracking number: {}</p>", html_escape(&tracking)),
            )
        }
    };
    Email {
        to: address,
        subject,
        text: format!(
            "Hello {name},\n\n{intro}\n\nOrder {id}:\n{lines}\n  Total {total}\n\n{extra_text}",
            id = order.id,
            lines = lines_text.join("\n"),
            total = money(order.total_cents),
        ),
        html: format!(
            "<p>Hello {name},</p><p>{intro}</p><p>Order {id}:</p><ul>{lines_html}</ul><p>Total {total}</p>{extra_html}",
            name = html_escape(&name),
            id = order.id,
            total = money(order.total_cents),
        ),
    }
}

/// Where a return stands, for its email: one email per step, marked in the return's own
/// partition (`RETURN#<id>`/`MAIL#return_<status>`).
fn return_mail_sk(status: ReturnStatus) -> String {
    format!("MAIL#return_{}", status.as_str())
}

impl OrderMail {
    /// The return and its order that the email of `status` is about, unless it was sent.
    pub async fn unsent_return(
        &self,
        return_id: &str,
        status: ReturnStatus,
    ) -> Result<Option<(ReturnItem, OrderItem)>, ApiError> {
        let pk = returns::key(return_id);
        if self.sent(&pk, &return_mail_sk(status)).await? {
            tracing::info!("return email already sent; not sent again");
            return Ok(None);
        }
        let Some(item) = self.table.get::<ReturnItem>(&pk, returns::SK).await? else {
            return Ok(None);
        };
        let order = super::repo::get(&self.table, &item.order_id).await?;
        Ok(order.map(|order| (item, order)))
    }

    /// Remembers that the return's email of `status` was sent.
    pub async fn mark_return_sent(
        &self,
        return_id: &str,
        status: ReturnStatus,
        now: i64,
    ) -> Result<(), ApiError> {
        self.mark(returns::key(return_id), return_mail_sk(status), now)
            .await
    }
}

/// The email that tells `to` (address, name) their return of `order`'s units is `status`.
pub fn render_return(
    item: &ReturnItem,
    status: ReturnStatus,
    order: &OrderItem,
    to: (String, String),
) -> Email {
    let (address, name) = to;
    let units: Vec<(i64, String)> = item
        .lines
        .iter()
        .map(|line| {
            let named = order
                .lines
                .iter()
                .find(|l| l.variant() == line.variant_id)
                .map_or_else(String::new, |l| {
                    format!("{}{}", l.name, described(&l.options))
                });
            (line.quantity, named)
        })
        .collect();
    let (subject, said) = match status {
        ReturnStatus::Requested => (
            format!("Return {} of order {} requested", item.id, order.id),
            "we have your return request; send the items back and we will refund them once they arrive.".to_owned(),
        ),
        ReturnStatus::Received => (
            format!("Return {} of order {} received", item.id, order.id),
            "your return arrived: what you paid for these items is on its way back to you.".to_owned(),
        ),
        ReturnStatus::Rejected => (
            format!("Return {} of order {} not accepted", item.id, order.id),
            format!(
                "we could not accept this return: {}",
                item.rejection_reason.as_deref().unwrap_or("no reason given")
            ),
        ),
    };
    let text_lines: Vec<String> = units
        .iter()
        .map(|(n, what)| format!("  {n} x {what}"))
        .collect();
    let html_lines: String = units
        .iter()
        .map(|(n, what)| format!("<li>{n} &times; {}</li>", html_escape(what)))
        .collect();
    Email {
        to: address,
        subject,
        text: format!(
            "Hello {name},\n\n{said}\n\nReturn {id} of order {order}:\n{lines}\n",
            id = item.id,
            order = order.id,
            lines = text_lines.join("\n"),
        ),
        html: format!(
            "<p>Hello {name},</p><p>{said}</p><p>Return {id} of order {order}:</p><ul>{html_lines}</ul>",
            name = html_escape(&name),
            said = html_escape(&said),
            id = item.id,
            order = order.id,
        ),
    }
}
