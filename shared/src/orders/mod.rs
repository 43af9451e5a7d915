//! Orders: checkout, the order state machine (`state`), the pure decisions (`rules`), payments'
//! effects on orders (`events`), and the refunds owed (`refunds`, each a record of its own until
//! Stripe settles it), and the returns of delivered units (`returns`).

mod checkout;
pub mod emails;
mod events;
pub mod guest;
pub mod keys;
pub mod model;
mod money;
pub mod quote;
pub mod refunds;
pub mod repo;
pub mod returns;
pub mod rules;
pub mod service;
pub mod state;
pub mod timeline;

pub use service::{OrderEnvelope, Orders};
