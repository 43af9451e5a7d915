//! Orders: checkout, the order state machine, and payments' effects on orders.

pub mod emails;
pub mod keys;
pub mod model;
pub mod refunds;
pub mod repo;
pub mod rules;
pub mod service;
pub mod state;

pub use service::{OrderEnvelope, Orders};
