//! The shop's settings that price a checkout: shipping zones (the regions each ships to and
//! its methods), tax rates by region, and whether prices include tax (`model`, the pure
//! lookups; `repo`, the table; `service`, the admin routes and the checkout's cached read).

pub mod model;
pub mod regions;
pub mod repo;
pub mod service;

pub use service::Shop;
