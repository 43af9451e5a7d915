//! Discount codes: admins make and edit them (`service`), a checkout applies one (`model`'s
//! pure decision) and counts its redemption in the order's own transaction (`repo`'s writes),
//! so that `max_redemptions` and `max_per_customer` hold exactly however checkouts race; a
//! cancelled or expired order gives its redemption back in its own transaction.
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | a code | `DISCOUNT#<CODE>` | `DISCOUNT` | gsi1 `DISCOUNTS`/id (newest first) |
//! | one customer's uses of it | `DISCOUNT#<CODE>` | `USE#<customer>` | |
//!
//! A customer is counted by email (a guest's and an account's alike), as the hash of it.

pub mod keys;
pub mod model;
pub mod repo;
pub mod service;

pub use service::Discounts;
