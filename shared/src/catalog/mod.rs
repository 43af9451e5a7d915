//! The catalog: products, their listing and search, and their images.
//!
//! `keys` names every item and object; `model` holds the values (valid by construction), the
//! items and the views, `variants` those of variants and the rules of options; `edit` what an
//! edit makes of a product, pure; `stock` the ledger every change of stock is a movement in;
//! `repo` every DynamoDB access; `rules` the listing's decisions, pure; `service` and
//! `inventory` the rules of `API.md`; `images` the pipeline an upload goes through.

pub mod edit;
pub mod images;
pub mod inventory;
pub mod keys;
pub mod migrate;
pub mod model;
pub mod repo;
pub mod rules;
pub mod service;
pub mod stock;
pub mod variants;

pub use service::{Catalog, CatalogSettings, Uploads};
