//! The one-off migration of products stored before variants: each gets its default variant
//! (its id the product's; its SKU, price and stock the product's), the SKU item names that
//! variant, the product gets its price entry, and its stock becomes the ledger's first
//! movement (a `count`), so the ledger adds up from the start.
//!
//! Idempotent: a product that has variants is left alone, so running it again (or after a
//! partial run) migrates only what is left. Each product is one transaction, on the condition
//! that it still has no variants and the stock read: a sale by a function of the version before
//! (still running during a deploy) makes it read that product again.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Deserialize;

use super::keys::{self, ProductIndex};
use super::model::PriceEntry;
use super::repo::SkuItem;
use super::stock::{self, MovementItem, Reason, VariantKey};
use super::variants::VariantItem;
use crate::db::{Table, for_each_page, number, put, put_if, to_item, transact_if};
use crate::error::ApiError;
use crate::expression::Expression;
use crate::ids::Id;

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// Products given their default variant by this run.
    pub migrated: u64,
    /// Products that had variants already.
    pub already: u64,
}

/// A product as stored before variants: its one SKU, price and stock on the product.
#[derive(Debug, Clone, Deserialize)]
struct Legacy {
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    stock: Option<i64>,
    price_cents: i64,
    category: String,
    active: bool,
    created_at: i64,
    #[serde(default)]
    variants: Option<BTreeMap<String, VariantItem>>,
}

/// How often one product is read again when its stock moved while it was migrated.
const ATTEMPTS: u32 = 20;

/// Migrates every product of `table` (the whole catalog, through its index).
pub async fn run(table: &Table, now: i64) -> Result<Migrated, ApiError> {
    let index = ProductIndex::Catalog;
    let query = table
        .query_partition(index.index(), keys::partition(index, ""), None)
        .projection_expression("id");
    let mut ids = Vec::new();
    for_each_page(query, |page| {
        for item in page.items.unwrap_or_default() {
            if let Some(AttributeValue::S(id)) = item.get("id") {
                ids.push(id.clone());
            }
        }
        Ok(())
    })
    .await?;
    let mut done = Migrated::default();
    for id in ids {
        if migrate_one(table, &id, now).await? {
            done.migrated += 1;
        } else {
            done.already += 1;
        }
    }
    Ok(done)
}

/// Gives one product its default variant; `false` if it had variants.
async fn migrate_one(table: &Table, id: &str, now: i64) -> Result<bool, ApiError> {
    for attempt in 0..ATTEMPTS {
        let Some(item) = table
            .get::<Legacy>(&keys::product(id), keys::PRODUCT_SK)
            .await?
        else {
            return Ok(false);
        };
        if item.variants.as_ref().is_some_and(|v| !v.is_empty()) {
            return Ok(false);
        }
        let stock = item.stock.unwrap_or(0).max(0);
        let sku = item.sku.clone().unwrap_or_else(|| id.to_owned());
        let variant = VariantItem {
            id: id.to_owned(),
            sku: sku.clone(),
            options: BTreeMap::new(),
            price_cents: item.price_cents,
            stock,
            weight_grams: 0,
            active: true,
            image_id: None,
            movements: i64::from(stock > 0),
            created_at: item.created_at,
        };
        let mut expression = Expression::new();
        let variants = to_item(&BTreeMap::from([(id.to_owned(), variant)]))?;
        expression.set(&["variants"], AttributeValue::M(variants));
        expression.set(&["options"], AttributeValue::L(Vec::new()));
        expression.remove(&["stock"]);
        expression.remove(&["sku"]);
        let path = expression.path(&["variants"]);
        expression.require(format!("attribute_not_exists({path})"));
        match item.stock {
            Some(read) => expression.require_eq(&["stock"], number(read)),
            None => {
                let path = expression.path(&["stock"]);
                expression.require(format!("attribute_not_exists({path})"))
            }
        };
        let mut writes = vec![expression.update_of(table, &keys::product(id), keys::PRODUCT_SK)?];
        writes.push(put_if(
            table,
            &VariantKey::new(id, id),
            "attribute_not_exists(pk)",
        )?);
        if item.sku.is_some() {
            // The product's own claim, now naming its variant.
            writes.push(put(
                table,
                &SkuItem {
                    pk: keys::sku(&sku),
                    sk: keys::SKU_SK.to_owned(),
                    product_id: id.to_owned(),
                    variant_id: Some(id.to_owned()),
                },
            )?);
        }
        writes.push(put(
            table,
            &PriceEntry::new(id, item.price_cents, &item.category, item.active),
        )?);
        if stock > 0 {
            let first = MovementItem {
                pk: stock::variant(id),
                sk: stock::movement_sk(1),
                id: Id::new().to_string(),
                variant_id: id.to_owned(),
                product_id: id.to_owned(),
                at: now,
                delta: stock,
                stock_after: stock,
                reason: Reason::Count,
                order_id: None,
                actor_id: None,
            };
            writes.push(put_if(table, &first, "attribute_not_exists(pk)")?);
        }
        if transact_if(table, writes, None).await? {
            return Ok(true);
        }
        tokio::time::sleep(crate::db::backoff(attempt.min(5))).await;
    }
    Err(ApiError::unavailable(format!(
        "product {id} kept changing while it was migrated"
    )))
}

/// For tests: a product as it was stored before variants, straight into the table.
pub async fn put_legacy(
    table: &Table,
    id: &str,
    sku: &str,
    name: &str,
    price_cents: i64,
    stock: i64,
    now: i64,
) -> Result<(), ApiError> {
    let [
        (_, gsi1pk),
        (_, gsi1sk),
        (_, gsi2pk),
        (_, gsi2sk),
        (_, gsi3pk),
        (_, gsi3sk),
    ] = super::model::index_attributes(id, "legacy", name);
    let item = serde_json::json!({
        "pk": keys::product(id), "sk": keys::PRODUCT_SK, "id": id, "sku": sku, "name": name,
        "description": "", "price_cents": price_cents, "currency": "EUR", "category": "legacy",
        "stock": stock, "active": true, "images": {}, "created_at": now, "updated_at": now,
        "version": 1, "gsi1pk": gsi1pk, "gsi1sk": gsi1sk, "gsi2pk": gsi2pk, "gsi2sk": gsi2sk,
        "gsi3pk": gsi3pk, "gsi3sk": gsi3sk,
    });
    let claim = serde_json::json!({"pk": keys::sku(sku), "sk": keys::SKU_SK, "product_id": id});
    let writes = vec![
        put_if(table, &item, "attribute_not_exists(pk)")?,
        put_if(table, &claim, "attribute_not_exists(pk)")?,
    ];
    if transact_if(table, writes, None).await? {
        Ok(())
    } else {
        Err(ApiError::internal("a legacy product's id or SKU is taken"))
    }
}
