//! Products and their images: the values a product is made of (valid by construction, so a
//! request body that parses holds only valid values), the stored item, the public view.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::rfc3339;
use crate::values::{parsed_from_text, whole_number_in};

use super::keys::{self, ProductIndex};
use super::variants::{self, Grams, NewVariant, ProductOption, Variant, VariantItem};

/// The image types an upload may declare, and the image function accepts by their bytes.
pub const IMAGE_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];
/// The largest image upload, in bytes.
pub const MAX_IMAGE_BYTES: i64 = 5 * 1024 * 1024;

/// A stock-keeping unit: 1–64 letters, digits, `-`, `_` or `.`, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let sku = raw.trim().to_ascii_uppercase();
        let ok = (1..=64).contains(&sku.len())
            && sku
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(Self(sku))
        } else {
            Err("must be 1-64 letters, digits, '-', '_' or '.'")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
parsed_from_text!(Sku);

/// A product's name: 1–200 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductName(String);

impl ProductName {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        crate::text::single_line(raw, 200).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
parsed_from_text!(ProductName);

/// A product's description: up to 5000 characters, line breaks allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        crate::text::multi_line(raw, 5000).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
parsed_from_text!(Description);

/// A category: 1–64 characters of `a-z`, `0-9` and `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category(String);

impl Category {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be 1-64 characters of a-z, 0-9 and '-'")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
parsed_from_text!(Category);

/// A price in minor units: 0–100,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cents(i64);

whole_number_in!(Cents, 0, 100_000_000);

/// Units in stock: 0–1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stock(i64);

whole_number_in!(Stock, 0, 1_000_000);

/// A byte count of an upload: 1 byte to 5 MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLength(i64);

whole_number_in!(UploadLength, 1, MAX_IMAGE_BYTES);

/// An image type an upload may declare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageType(&'static str);

impl ImageType {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        IMAGE_TYPES
            .iter()
            .find(|t| **t == raw)
            .map(|t| Self(t))
            .ok_or("must be image/jpeg, image/png or image/webp")
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}
parsed_from_text!(ImageType);

/// A product's fields as a create or an update gives them: each one present is valid.
/// `sku`, `price_cents`, `stock` and `weight_grams` are those of a single-variant product's
/// one variant; `variants` is for a create only.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductFields {
    pub sku: Option<Sku>,
    pub name: Option<ProductName>,
    pub description: Option<Description>,
    pub price_cents: Option<Cents>,
    pub category: Option<Category>,
    pub stock: Option<Stock>,
    pub weight_grams: Option<Grams>,
    pub active: Option<bool>,
    pub options: Option<Vec<ProductOption>>,
    pub variants: Option<Vec<NewVariant>>,
}

/// A new product's body (without `variants`, also `sku`, `price_cents` and `stock`); a
/// `PATCH` takes any subset of the same fields.
impl crate::http::Input for ProductFields {
    const REQUIRED: &'static [&'static str] = &["name", "category"];

    fn required(body: &serde_json::Value) -> Vec<&'static str> {
        if body.get("variants").is_some() {
            Self::REQUIRED.to_vec()
        } else {
            vec!["sku", "name", "price_cents", "category", "stock"]
        }
    }
}

/// `POST /products/{id}/images`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewImage {
    pub content_type: Option<ImageType>,
    pub content_length: Option<UploadLength>,
}

impl crate::http::Input for NewImage {
    const REQUIRED: &'static [&'static str] = &["content_type", "content_length"];
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

/// A product as stored (`pk = PRODUCT#<id>`, `sk = PRODUCT`), its variants in it, with the keys
/// of its three index entries (see [`super::keys`]). Ids are ULIDs, so id order is creation
/// order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductItem {
    pub pk: String,
    pub sk: String,
    pub id: String,
    pub name: String,
    pub description: String,
    /// The lowest price of its active variants, kept by every write that changes one.
    pub price_cents: i64,
    pub currency: String,
    pub category: String,
    pub active: bool,
    #[serde(default)]
    pub options: Vec<ProductOption>,
    /// Keyed by variant id. A stored product without any predates variants: the migration
    /// gives it its default variant.
    #[serde(default)]
    pub variants: BTreeMap<String, VariantItem>,
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

impl ProductItem {
    /// The sort key of this product in `index`, as its item holds it.
    pub fn sort_key(&self, index: ProductIndex) -> &str {
        match index {
            ProductIndex::Catalog => &self.gsi1sk,
            ProductIndex::Category => &self.gsi2sk,
            ProductIndex::Name => &self.gsi3sk,
            ProductIndex::Price | ProductIndex::CategoryPrice => "",
        }
    }

    /// Sets the keys of its index entries from its id, category and name.
    pub fn index(&mut self) {
        let [(_, a), (_, b), (_, c), (_, d), (_, e), (_, f)] =
            index_attributes(&self.id, &self.category, &self.name);
        (
            self.gsi1pk,
            self.gsi1sk,
            self.gsi2pk,
            self.gsi2sk,
            self.gsi3pk,
            self.gsi3sk,
        ) = (a, b, c, d, e, f);
    }

    /// Its entry in the price listings, as this product's price, category and state make it.
    pub fn price_entry(&self) -> PriceEntry {
        PriceEntry::new(&self.id, self.price_cents, &self.category, self.active)
    }
}

impl PriceEntry {
    pub fn new(id: &str, price_cents: i64, category: &str, active: bool) -> Self {
        let key = keys::price_key(price_cents, id);
        Self {
            pk: keys::product(id),
            sk: keys::PRICE_SK.to_owned(),
            product_id: id.to_owned(),
            price_cents,
            active,
            gsi1pk: keys::partition(ProductIndex::Price, category),
            gsi1sk: key.clone(),
            gsi2pk: keys::partition(ProductIndex::CategoryPrice, category),
            gsi2sk: key,
        }
    }
}

/// A product's entry in the price listings (`pk = PRODUCT#<id>`, `sk = PRICE`): a product item
/// has one place in each index, and is already listed by creation order in the two the price
/// listings share. Written with every change of the product's price, category or state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PriceEntry {
    pub pk: String,
    pub sk: String,
    pub product_id: String,
    pub price_cents: i64,
    pub active: bool,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub gsi2pk: String,
    pub gsi2sk: String,
}

/// The index attributes that follow from a product's category and name: the partition and
/// sort key of `Catalog`, `Category` and `Name`, in that order.
pub fn index_attributes(id: &str, category: &str, name: &str) -> [(&'static str, String); 6] {
    let entry = |index: ProductIndex| {
        let (pk, sk) = index.key_attributes();
        [
            (pk, keys::partition(index, category)),
            (sk, keys::sort_key(index, id, name, 0)),
        ]
    };
    let [[a, b], [c, d], [e, f]] = [
        ProductIndex::Catalog,
        ProductIndex::Category,
        ProductIndex::Name,
    ]
    .map(entry);
    [a, b, c, d, e, f]
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
    /// The SKU of its one variant, for a single-variant product.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub category: String,
    pub stock: i64,
    pub active: bool,
    pub options: Vec<ProductOption>,
    pub variants: Vec<Variant>,
    pub images: Vec<Image>,
    pub created_at: String,
    pub updated_at: String,
}

impl ProductItem {
    /// The public view; image URLs are `images_base_url` + the object key. Retired variants
    /// are shown to `staff` only.
    pub fn view(&self, images_base_url: &str, staff: bool) -> Product {
        let url = |key: &Option<String>| {
            key.as_ref()
                .map(|k| format!("{}/{k}", images_base_url.trim_end_matches('/')))
        };
        Product {
            id: self.id.clone(),
            sku: variants::only_variant(&self.variants).map(|v| v.sku.clone()),
            name: self.name.clone(),
            description: self.description.clone(),
            price_cents: self.price_cents,
            currency: self.currency.clone(),
            category: self.category.clone(),
            stock: variants::total_stock(self.variants.values()),
            active: self.active,
            options: self.options.clone(),
            variants: self
                .variants
                .values()
                .filter(|v| v.active || staff)
                .map(VariantItem::view)
                .collect(),
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
pub(crate) mod tests {
    use super::*;

    /// A product without variants, for the tests of what is done to them.
    pub(crate) fn product_item(id: &str) -> ProductItem {
        let mut item = ProductItem {
            pk: keys::product(id),
            sk: keys::PRODUCT_SK.to_owned(),
            id: id.to_owned(),
            name: "Mug".to_owned(),
            description: String::new(),
            price_cents: 100,
            currency: "EUR".to_owned(),
            category: "mugs".to_owned(),
            active: true,
            options: Vec::new(),
            variants: BTreeMap::new(),
            images: BTreeMap::new(),
            created_at: 0,
            updated_at: 0,
            version: 1,
            gsi1pk: String::new(),
            gsi1sk: String::new(),
            gsi2pk: String::new(),
            gsi2sk: String::new(),
            gsi3pk: String::new(),
            gsi3sk: String::new(),
        };
        item.index();
        item
    }

    fn parse(json: &str) -> Result<ProductFields, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn fields_are_normalised() {
        let fields = parse(r#"{"sku": "  mug-01 ", "name": "  Mug "}"#).unwrap();
        assert_eq!(fields.sku.map(|s| s.0).as_deref(), Some("MUG-01"));
        assert_eq!(fields.name.map(|n| n.0).as_deref(), Some("Mug"));
    }

    #[test]
    fn each_bad_value_says_what_is_wrong() {
        for (json, message) in [
            (r#"{"sku": "has space"}"#, "must be 1-64 letters"),
            (r#"{"name": " "}"#, "must not be empty"),
            (r#"{"description": "bell\u0007"}"#, "control"),
            (r#"{"price_cents": -1}"#, "must be from 0 to 100000000"),
            (r#"{"category": "Kitchen"}"#, "a-z"),
            (r#"{"stock": 1000001}"#, "must be from 0 to 1000000"),
            (r#"{"stock": 1.5}"#, "must be a whole number"),
            (r#"{"stock": "3"}"#, "invalid type"),
            (r#"{"price_cents": 1e300}"#, "must be from 0"),
        ] {
            let err = parse(json).unwrap_err();
            assert!(err.contains(message), "{json}: {err}");
        }
    }

    #[test]
    fn the_bounds_of_the_contract_are_accepted() {
        let edge = parse(&format!(
            r#"{{"sku": "A", "name": "{}", "description": "{}", "price_cents": 100000000, "category": "{}", "stock": 0, "active": false}}"#,
            "n".repeat(200),
            "d".repeat(5000),
            "a".repeat(64)
        ));
        assert!(edge.is_ok(), "{edge:?}");
        let integral = parse(r#"{"price_cents": 903.0, "stock": 12.0}"#).unwrap();
        assert_eq!(integral.price_cents.map(Cents::get), Some(903));
        assert_eq!(integral.stock.map(Stock::get), Some(12));
    }

    #[test]
    fn index_attributes_follow_the_keys() {
        let attributes = index_attributes("01J", "mugs", "Blue Mug");
        assert_eq!(attributes[3], ("gsi2sk", "01J".to_owned()));
        assert_eq!(attributes[5], ("gsi3sk", "blue mug#01J".to_owned()));
    }
}
