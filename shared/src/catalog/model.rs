//! Products and their images: validated input, the stored item, the public view.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::rfc3339;
use crate::error::FieldError;

/// The image types an upload may declare, and the image function accepts by their bytes.
pub const IMAGE_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];
/// The largest image upload, in bytes.
pub const MAX_IMAGE_BYTES: i64 = 5 * 1024 * 1024;

/// A product's fields as a create or an update gives them; each is checked by [`check`].
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductFields {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price_cents: Option<i64>,
    pub category: Option<String>,
    pub stock: Option<i64>,
    pub active: Option<bool>,
}

/// Normalises and checks every given field, naming each that is wrong.
pub fn check(fields: &mut ProductFields) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(sku) = &mut fields.sku {
        *sku = sku.trim().to_ascii_uppercase();
        let ok = (1..=64).contains(&sku.len())
            && sku
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            errors.push(FieldError::new(
                "sku",
                "must be 1-64 letters, digits, '-', '_' or '.'",
            ));
        }
    }
    if let Some(name) = &mut fields.name {
        *name = name.trim().to_owned();
        if !(1..=200).contains(&name.chars().count()) {
            errors.push(FieldError::new("name", "must be 1-200 characters"));
        }
    }
    if let Some(description) = &fields.description
        && description.chars().count() > 5000
    {
        errors.push(FieldError::new(
            "description",
            "must be at most 5000 characters",
        ));
    }
    if let Some(price) = fields.price_cents
        && !(0..=100_000_000).contains(&price)
    {
        errors.push(FieldError::new(
            "price_cents",
            "must be from 0 to 100000000",
        ));
    }
    if let Some(category) = &fields.category {
        let ok = (1..=64).contains(&category.len())
            && category
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            errors.push(FieldError::new(
                "category",
                "must be 1-64 characters of a-z, 0-9 and '-'",
            ));
        }
    }
    if let Some(stock) = fields.stock
        && !(0..=1_000_000).contains(&stock)
    {
        errors.push(FieldError::new("stock", "must be from 0 to 1000000"));
    }
    errors
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageStatus {
    Pending,
    Ready,
    Rejected,
}

/// An image as stored in its product.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageItem {
    pub id: String,
    pub status: ImageStatus,
    pub content_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// A product as stored (`pk = PRODUCT#<id>`, `sk = PRODUCT`), with the keys of its three index
/// entries: the whole catalog (`gsi1`), its category (`gsi2`), its name for prefix search
/// (`gsi3`). Ids are ULIDs, so id order is creation order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductItem {
    pub pk: String,
    pub sk: String,
    pub id: String,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub category: String,
    pub stock: i64,
    pub active: bool,
    /// Keyed by image id, so one image's status can be changed by a conditional update.
    #[serde(default)]
    pub images: BTreeMap<String, ImageItem>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped by every write; `PATCH` with `If-Match` updates only the version it read.
    pub version: i64,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub gsi2pk: String,
    pub gsi2sk: String,
    pub gsi3pk: String,
    pub gsi3sk: String,
}

/// The index keys that follow from a product's category and name.
pub fn index_keys(id: &str, category: &str, name: &str) -> [(&'static str, String); 6] {
    [
        ("gsi1pk", "CATALOG".to_owned()),
        ("gsi1sk", id.to_owned()),
        ("gsi2pk", format!("CATEGORY#{category}")),
        ("gsi2sk", id.to_owned()),
        ("gsi3pk", "NAME".to_owned()),
        ("gsi3sk", format!("{}#{id}", name.to_lowercase())),
    ]
}

/// An image as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    pub id: String,
    pub status: ImageStatus,
    pub url: Option<String>,
    pub thumbnail_url: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// A product as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub category: String,
    pub stock: i64,
    pub active: bool,
    pub images: Vec<Image>,
    pub created_at: String,
    pub updated_at: String,
}

impl ProductItem {
    /// The public view; image URLs are `images_base_url` + the object key.
    pub fn view(&self, images_base_url: &str) -> Product {
        let url = |key: &Option<String>| {
            key.as_ref()
                .map(|k| format!("{}/{k}", images_base_url.trim_end_matches('/')))
        };
        Product {
            id: self.id.clone(),
            sku: self.sku.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            price_cents: self.price_cents,
            currency: self.currency.clone(),
            category: self.category.clone(),
            stock: self.stock,
            active: self.active,
            images: self
                .images
                .values()
                .map(|image| Image {
                    id: image.id.clone(),
                    status: image.status,
                    url: url(&image.original_key),
                    thumbnail_url: url(&image.thumbnail_key),
                    width: image.width,
                    height: image.height,
                })
                .collect(),
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_normalised_and_every_bad_one_is_named() {
        let mut fields = ProductFields {
            sku: Some("  mug-01 ".into()),
            name: Some("  Mug ".into()),
            ..Default::default()
        };
        assert!(check(&mut fields).is_empty());
        assert_eq!(fields.sku.as_deref(), Some("MUG-01"));
        assert_eq!(fields.name.as_deref(), Some("Mug"));

        let mut bad = ProductFields {
            sku: Some("has space".into()),
            name: Some(" ".into()),
            description: Some("x".repeat(5001)),
            price_cents: Some(-1),
            category: Some("Kitchen".into()),
            stock: Some(1_000_001),
            active: None,
        };
        let fields: Vec<String> = check(&mut bad).into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "sku",
                "name",
                "description",
                "price_cents",
                "category",
                "stock"
            ]
        );
    }

    #[test]
    fn the_bounds_of_the_contract_are_accepted() {
        let mut edge = ProductFields {
            sku: Some("A".into()),
            name: Some("n".repeat(200)),
            description: Some("d".repeat(5000)),
            price_cents: Some(100_000_000),
            category: Some("a".repeat(64)),
            stock: Some(0),
            active: Some(false),
        };
        assert!(check(&mut edge).is_empty());
    }

    #[test]
    fn the_name_index_key_is_case_insensitive_and_unique() {
        let keys = index_keys("01J", "mugs", "Blue Mug");
        assert_eq!(keys[5], ("gsi3sk", "blue mug#01J".to_owned()));
    }
}
