//! The library every Storefront function is built on: configuration, the error type and its
//! problem responses, HTTP plumbing, pagination cursors, telemetry, AWS clients, and the
//! domains (accounts, catalog, orders) as model → repository → service.
//!
//! Domain rules live here as plain functions and services on domain types, testable without
//! AWS or HTTP; functions only translate between HTTP (or an event) and these.

pub mod accounts;
pub mod auth;
pub mod aws;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod contact;
pub mod cursor;
pub mod db;
pub mod emf;
pub mod error;
pub mod etag;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod mail;
pub mod orders;
pub mod payments;
pub mod percent;
pub mod rate_limit;
pub mod reports;
pub mod routes;
pub mod secrets;
pub mod telemetry;
pub mod testing;
pub mod text;
pub mod values;

pub use config::Config;

/// What every function does first at cold start: logging on, its configuration read (a missing
/// or malformed variable stops it here, named), and the AWS SDK's configuration loaded.
pub async fn start() -> Result<(Config, aws_config::SdkConfig), config::ConfigError> {
    telemetry::init();
    emf::init();
    let config = Config::from_env()?;
    Ok((config, aws::sdk_config().await))
}
pub use error::{ApiError, ErrorCode};
