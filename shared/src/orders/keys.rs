//! Every key of the orders' items:
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | order | `ORDER#<id>` | `ORDER` | gsi1 `CUSTOMER#<user id>`/id, gsi2 `ORDERS#<status>`/id, gsi3 `ORDERS`/id |
//! | a Stripe event handled | `STRIPE_EVENT#<event id>` | `STRIPE_EVENT` | |
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

/// The partition of the orders in one status (in gsi2).
pub fn status(status: OrderStatus) -> String {
    format!("ORDERS#{}", status.as_str())
}

/// The partition of every order (in gsi3).
pub const ALL: &str = "ORDERS";

pub fn stripe_event(id: &str) -> String {
    format!("STRIPE_EVENT#{id}")
}
pub const STRIPE_EVENT_SK: &str = "STRIPE_EVENT";
