//! Every key of the orders' items:
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | order | `ORDER#<id>` | `ORDER` | gsi1 `CUSTOMER#<user id>`/id (a guest's: `GUEST#<email key>`/id), gsi2 `ORDERS#<status>`/[status sort key](status_sort_key), gsi3 `ORDERS`/id |
//! | a Stripe event handled | `STRIPE_EVENT#<event id>` | `STRIPE_EVENT` | |
//! | how many orders of an account wait for their payment | `UNPAID#<user id>` (a guest's: `UNPAID#guest-<email key>`) | `UNPAID` | |
//!
//! Order ids are ULIDs, so an index sorted by id is sorted by creation time.

use super::state::OrderStatus;

pub fn order(id: &str) -> String {
    format!("ORDER#{id}")
}
pub const ORDER_SK: &str = "ORDER";

/// The partition of a customer's orders (in gsi1).
pub fn customer(user_id: &str) -> String {
    format!("CUSTOMER#{user_id}")
}

/// The partition of a guest's orders (in gsi1), by the key of their email, until the account
/// of that email signs in and takes them.
pub fn guest(email_key: &str) -> String {
    format!("GUEST#{email_key}")
}

/// The partition of the orders in one status (in gsi2).
pub fn status(status: OrderStatus) -> String {
    format!("ORDERS#{}", status.as_str())
}

/// An order's sort key in its status partition: while it waits for its payment, its expiry
/// first (`<expires_at, 12 digits>#<id>`), so the expiry job finds the orders that are due with
/// one key range; in every other status, its id.
pub fn status_sort_key(status: OrderStatus, id: &str, expires_at: i64) -> String {
    match status {
        OrderStatus::PendingPayment => format!("{}#{id}", due_bound(expires_at)),
        _ => id.to_owned(),
    }
}

/// The sort key below which every pending order has expired by `now`.
pub fn due_bound(now: i64) -> String {
    format!("{:012}", now.max(0))
}

/// The partition of every order (in gsi3).
pub const ALL: &str = "ORDERS";

pub fn stripe_event(id: &str) -> String {
    format!("STRIPE_EVENT#{id}")
}
pub const STRIPE_EVENT_SK: &str = "STRIPE_EVENT";

/// The counter of a customer's unpaid orders: raised by a checkout on the condition that it is
/// under the cap, lowered by every move out of `pending_payment`, each in the order's own
/// transaction.
pub fn unpaid(user_id: &str) -> String {
    format!("UNPAID#{user_id}")
}
pub const UNPAID_SK: &str = "UNPAID";
