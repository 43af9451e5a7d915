//! The library every Storefront function is built on: configuration, the error type and its
//! problem responses, HTTP plumbing, pagination cursors, telemetry and AWS clients.
//!
//! Domain rules live here as plain functions, so they can be tested without AWS; functions only
//! translate between HTTP (or an event) and these.

pub mod aws;
pub mod config;
pub mod cursor;
pub mod error;
pub mod http;
pub mod routes;
pub mod telemetry;

pub use config::Config;
pub use error::{ApiError, ErrorCode};
