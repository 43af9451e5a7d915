//! Accounts: users, their credentials and their sessions.
//!
//! `keys` names every item; `model` holds the validated values and the items; `repo` every
//! DynamoDB access (conditions, transactions); `requests` the routes' bodies; `rules` the decisions, pure; `service` the rules of `API.md` (registration,
//! refresh-token rotation with reuse detection, password reset, profile, roles), and `login`
//! signing in (failures counted per account and client network).

pub mod keys;
mod login;
pub mod migrate;
pub mod model;
pub mod repo;
pub mod requests;
pub mod rules;
pub mod service;

pub use model::{Email, User};
pub use service::{AccountSettings, Accounts, AdminEnsured, TokenPair};
