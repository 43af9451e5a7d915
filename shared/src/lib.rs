//! The library every Storefront function is built on: configuration, the error type and its
//! problem responses, HTTP plumbing, pagination cursors, telemetry and AWS clients.
//!
//! Domain rules live here as plain functions, so they can be tested without AWS; functions only
//! translate between HTTP (or an event) and these.

pub mod accounts;
pub mod auth;
pub mod aws;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod context;
pub mod cursor;
pub mod db;
pub mod email;
pub mod error;
pub mod http;
pub mod rate_limit;
pub mod routes;
pub mod secrets;
pub mod telemetry;

pub use config::Config;
pub use error::{ApiError, ErrorCode};
