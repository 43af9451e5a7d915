//! Every key of the catalog's items:
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | product | `PRODUCT#<id>` | `PRODUCT` | `Catalog` `CATALOG`/id, `Category` `CATEGORY#<c>`/id, `Name` `NAME`/`<name lower>#<id>` |
//! | its price entry | `PRODUCT#<id>` | `PRICE` | `Price` `PRICES`/`<price>#<id>`, `CategoryPrice` `PRICES#<c>`/`<price>#<id>` |
//! | SKU uniqueness (of every variant) | `SKU#<sku>` | `SKU` | |
//! | a variant's product, its movements | `VARIANT#<id>` | `VARIANT`, `MOVE#<n>` (see [`super::stock`]) | |
//!
//! and of the S3 objects of product images:
//!
//! | object | bucket | key |
//! |---|---|---|
//! | an upload | uploads | `incoming/<product id>/<image id>` |
//! | the published original | images | `products/<product id>/<image id>/original.<ext>` |
//! | its thumbnail | images | `products/<product id>/<image id>/thumb-320.jpg` |

use crate::db::Index;
use crate::ids::Id;

/// The listings of products, each kept in one of the table's indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductIndex {
    /// The whole catalog, in creation order (`gsi1`).
    Catalog,
    /// Products by category, in creation order (`gsi2`).
    Category,
    /// Products by lower-cased name, for prefix search (`gsi3`).
    Name,
    /// The price entries of the whole catalog, by price (`gsi1`).
    Price,
    /// The price entries of a category, by price (`gsi2`).
    CategoryPrice,
}

impl ProductIndex {
    pub fn index(self) -> Index {
        match self {
            Self::Catalog | Self::Price => Index::Gsi1,
            Self::Category | Self::CategoryPrice => Index::Gsi2,
            Self::Name => Index::Gsi3,
        }
    }

    pub fn name(self) -> &'static str {
        self.index().name()
    }

    pub fn key_attributes(self) -> (&'static str, &'static str) {
        self.index().key_attributes()
    }
}

pub fn product(id: &str) -> String {
    format!("PRODUCT#{id}")
}
pub const PRODUCT_SK: &str = "PRODUCT";
pub const PRICE_SK: &str = "PRICE";

pub fn sku(sku: &str) -> String {
    format!("SKU#{sku}")
}
pub const SKU_SK: &str = "SKU";

/// The partition of an index a product is listed in.
pub fn partition(index: ProductIndex, category: &str) -> String {
    match index {
        ProductIndex::Catalog => "CATALOG".to_owned(),
        ProductIndex::Category => format!("CATEGORY#{category}"),
        ProductIndex::Name => "NAME".to_owned(),
        ProductIndex::Price => "PRICES".to_owned(),
        ProductIndex::CategoryPrice => format!("PRICES#{category}"),
    }
}

/// The sort key of a product in an index (`price` matters to the price indexes only).
pub fn sort_key(index: ProductIndex, id: &str, name: &str, price: i64) -> String {
    match index {
        ProductIndex::Catalog | ProductIndex::Category => id.to_owned(),
        ProductIndex::Name => format!("{}#{id}", name.to_lowercase()),
        ProductIndex::Price | ProductIndex::CategoryPrice => price_key(price, id),
    }
}

/// A price entry's sort key: the price in 10 digits (prices are at most 100,000,000), so text
/// order is price order, then the id.
pub fn price_key(price: i64, id: &str) -> String {
    format!("{:010}#{id}", price.max(0))
}

/// Where a browser uploads an image: under the prefix the image function is triggered by.
pub const UPLOAD_PREFIX: &str = "incoming/";

pub fn upload(product_id: &str, image_id: &str) -> String {
    format!("{UPLOAD_PREFIX}{product_id}/{image_id}")
}

/// The product and image ids of an upload key (already URL-decoded), if it is one.
pub fn parse_upload(key: &str) -> Option<(Id, Id)> {
    let rest = key.strip_prefix(UPLOAD_PREFIX)?;
    let (product, image) = rest.split_once('/')?;
    Some((Id::parse(product)?, Id::parse(image)?))
}

/// Where a processed image's files go in the images bucket.
pub fn published(product_id: &str, image_id: &str, extension: &str) -> (String, String) {
    let base = format!("products/{product_id}/{image_id}");
    (
        format!("{base}/original.{extension}"),
        format!("{base}/thumb-320.jpg"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_keys_round_trip_and_strangers_are_refused() {
        let (product, image) = (Id::new(), Id::new());
        let key = upload(product.as_str(), image.as_str());
        assert_eq!(parse_upload(&key), Some((product, image)));
        for other in [
            "products/01J/x",
            "incoming/01J",
            "incoming//x",
            "incoming/a/b/c",
            "incoming/a b/c",
        ] {
            assert_eq!(parse_upload(other), None, "{other}");
        }
    }

    #[test]
    fn the_name_index_key_is_case_insensitive_and_unique() {
        assert_eq!(
            sort_key(ProductIndex::Name, "01J", "Blue Mug", 0),
            "blue mug#01J"
        );
        assert!(price_key(900, "01J") < price_key(1000, "00A"));
        assert_eq!(price_key(100_000_000, "01J"), "0100000000#01J");
    }
}
