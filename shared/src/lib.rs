//! The library every Storefront function is built on: configuration, the error type and its
//! problem responses, HTTP plumbing, pagination cursors, telemetry, AWS clients, and the
//! domains (accounts, catalog, orders) as model → repository → service.
//!
//! Domain rules live here as plain functions and services on domain types, testable without
//! AWS or HTTP; functions only translate between HTTP (or an event) and these.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod aws;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod contact;
pub mod cursor;
pub mod db;
pub mod discounts;
pub mod emf;
pub mod env;
pub mod error;
pub mod etag;
pub mod events;
pub mod expression;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod mail;
pub mod orders;
pub mod payments;
pub mod percent;
pub mod pricing;
pub mod rate_limit;
pub mod reports;
pub mod routes;
pub mod secrets;
pub mod shop;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod text;
pub mod values;

pub use config::Config;

/// What every function does first at cold start: logging on, its configuration read, and its
/// state `S` built from it (a missing or malformed variable, or a secret that cannot be read,
/// stops it here, named). The configuration is handed back for the wrapper that serves requests.
pub async fn start<S: env::FromEnv>() -> Result<(Config, S), env::StartError> {
    telemetry::init();
    emf::init();
    let env = env::Env::from_process()?;
    let state = S::from_env(&env).await?;
    Ok((env.config, state))
}

pub use error::{ApiError, ErrorCode};
