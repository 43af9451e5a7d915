//! Accounts: users, their credentials and their sessions.
//!
//! `model` holds the validated values and the items; `repo` every DynamoDB access (keys,
//! conditions, transactions); `service` the rules of `API.md` (registration, login with lockout,
//! refresh-token rotation with reuse detection, password reset, profile, roles).

pub mod model;
pub mod repo;
pub mod service;

pub use model::{Email, User};
pub use service::{AccountSettings, Accounts, TokenPair};
