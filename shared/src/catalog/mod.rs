//! The catalog: products, their listing and search, and their images.
//!
//! `keys` names every item and object; `model` holds the values (valid by construction), the
//! items and the views; `repo` every DynamoDB access; `rules` the listing's decisions, pure; `service` the rules of `API.md`;
//! `images` the pipeline an upload goes through.

pub mod images;
pub mod keys;
pub mod model;
pub mod repo;
pub mod rules;
pub mod service;

pub use service::{Catalog, CatalogSettings, Uploads};
