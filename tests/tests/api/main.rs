//! Black-box tests: the local stack, driven over HTTP, the Invoke API and S3 as a client would.
//!
//! `cargo xtask test` starts the stack (the project's template and the runner's fixture
//! template on fresh stand-ins) and tells these tests where it is through the environment.

// A failed unwrap is a failed test, with its message: that is what tests want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod audit;
mod catalog;
mod contact;
mod customers;
mod errors;
mod guests;
mod health;
mod images;
mod metrics;
mod orders;
mod owasp;
mod passwords;
mod payments;
mod prices;
mod refunds;
mod returns;
mod roles;
mod runner;
mod variant_edits;
mod variants;
mod webhooks;
