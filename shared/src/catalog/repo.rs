//! Every DynamoDB access of the catalog (keys in [`super::keys`]).
//!
//! A product and its variants are one item. Every edit is one transaction: the product on the
//! condition that it is the version read, the SKU items of its variants (so no two variants
//! share a SKU), its price entry, the movements of the stock it moves. Listings are `Query`s
//! on an index, never a `Scan`.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::edit::{Claim, Edit};
use super::keys::{self, ProductIndex};
use super::model::{ImageItem, ImageStatus, PriceEntry, ProductItem, index_attributes};
use super::stock::{self, MovementItem, PlanRefused, Short, VariantKey};
use super::variants::VariantItem;
use crate::db::{
    Item, Table, any_condition_failed, batch_get, cancellation_codes, cancelled_item,
    for_each_page, from_item, number, put, put_if, string, to_item, transact, transaction_failed,
};
use crate::error::{ApiError, ErrorCode};
use crate::expression::Expression;

/// The item that holds a SKU for one variant: no two variants share one.
#[derive(Debug, Serialize, Deserialize)]
pub struct SkuItem {
    pub pk: String,
    pub sk: String,
    pub product_id: String,
    /// Absent on SKUs claimed before variants: the product's default variant, whose id is the
    /// product's.
    #[serde(default)]
    pub variant_id: Option<String>,
}

pub fn sku_taken(field: &str) -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::SkuTaken,
        detail: format!("Another variant has this SKU ({field})."),
    }
}

fn put_sku(table: &Table, claim: &Claim, product_id: &str) -> Result<TransactWriteItem, ApiError> {
    let item = SkuItem {
        pk: keys::sku(&claim.sku),
        sk: keys::SKU_SK.to_owned(),
        product_id: product_id.to_owned(),
        variant_id: Some(claim.variant_id.clone()),
    };
    put_if(table, &item, "attribute_not_exists(pk)")
}

pub async fn get(table: &Table, id: &str) -> Result<Option<ProductItem>, ApiError> {
    table.get(&keys::product(id), keys::PRODUCT_SK).await
}

/// How a write of an edit ended.
#[derive(Debug)]
pub enum Saved {
    /// Written: the product as it is now, and the movements written with it.
    Done(Box<ProductItem>, Vec<MovementItem>),
    /// The product changed since it was read (another edit, or stock moved): nothing written;
    /// plan again from the product as the write found it (if it says; else read it again).
    Raced(Option<Box<ProductItem>>),
    /// A SKU the edit claims is another variant's: the request's field that gives it.
    SkuTaken(String),
    /// The stock it moves would go below zero (as planned from the read).
    Short(Short),
}

/// Writes `edit` in one transaction: the product (a new one, or on the condition that it is
/// still the version read, `current`; stock by the movements' counts), its price entry, the
/// SKUs it claims and gives up, its new variants' ids, the movements of the stock it moves,
/// and `act`'s entry in the audit log.
/// `edit_fields` is false for a write that only moves stock: it is no edit of the product and
/// does not change its version.
pub async fn save(
    table: &Table,
    current: Option<&ProductItem>,
    edit: &Edit,
    edit_fields: bool,
    act: crate::audit::Act<'_>,
    now: i64,
) -> Result<Saved, ApiError> {
    let mut written = edit.after.clone();
    // New variants hold nothing until their first movement.
    let mut base = current.cloned().unwrap_or_else(|| written.clone());
    for id in &edit.new_variants {
        if let Some(variant) = written.variants.get(id) {
            base.variants.insert(id.clone(), variant.clone());
        }
    }
    let products = HashMap::from([(base.id.clone(), base)]);
    let mut planned = match stock::plan(&products, &edit.stock, now) {
        Ok(mut planned) => planned.remove(&written.id).unwrap_or_default(),
        Err(PlanRefused::Short(short)) => return Ok(Saved::Short(short)),
        Err(PlanRefused::Missing(_)) => return Ok(Saved::Raced(None)),
    };
    for (id, (_, stock, count, _)) in &planned.variants {
        if let Some(variant) = written.variants.get_mut(id) {
            variant.stock = *stock;
            variant.movements = *count;
        }
    }
    let movements = std::mem::take(&mut planned.movements);
    let first = match current {
        None => put_if(table, &written, "attribute_not_exists(pk)")?,
        Some(current) => {
            let mut expression = Expression::new();
            if edit_fields {
                fields_of(&mut expression, current, &written)?;
                written.version = current.version + 1;
            }
            for id in &edit.must_be_empty {
                expression.require_eq(&["variants", id, "stock"], number(0));
            }
            // A new variant is written whole, its stock in it; the others move by their count.
            planned
                .variants
                .retain(|id, _| !edit.new_variants.contains(id));
            stock::add_to(&mut expression, &planned);
            expression.update_of(table, &current.pk, keys::PRODUCT_SK)?
        }
    };
    let mut writes = vec![first];
    let first_claim = writes.len();
    for claim in &edit.claimed {
        writes.push(put_sku(table, claim, &written.id)?);
    }
    for sku in &edit.released {
        let release = table
            .delete_of(keys::sku(sku), keys::SKU_SK)
            .build()
            .map_err(ApiError::internal)?;
        writes.push(TransactWriteItem::builder().delete(release).build());
    }
    for id in &edit.new_variants {
        writes.push(put_if(
            table,
            &VariantKey::new(id, &written.id),
            "attribute_not_exists(pk)",
        )?);
    }
    if edit_fields {
        writes.push(put(table, &written.price_entry())?);
    }
    writes.extend(stock::movement_puts(table, &movements)?);
    // The staff member's entry in the audit log, with what the edit changed.
    writes.push(act.put(table, "product", &written.id, current, Some(&written), now)?);
    match transact(table, writes, None).await {
        Ok(()) => Ok(Saved::Done(Box::new(written), movements)),
        Err(err) => {
            let failed = cancellation_codes(&err);
            let taken = edit.claimed.iter().enumerate().find(|(i, _)| {
                failed.get(first_claim + i).copied().flatten() == Some("ConditionalCheckFailed")
            });
            if let Some((_, claim)) = taken {
                return Ok(Saved::SkuTaken(claim.field.clone()));
            }
            if current.is_some() && any_condition_failed(&err) {
                let found = cancelled_item(&err, 0).and_then(|item| from_item(item).ok());
                return Ok(Saved::Raced(found.map(Box::new)));
            }
            Err(transaction_failed(err))
        }
    }
}

/// The `SET`s of an edit's fields: every top-level field, and of each variant the fields an
/// edit may change (a new variant whole); stock and counts only through movements.
fn fields_of(
    expression: &mut Expression,
    current: &ProductItem,
    after: &ProductItem,
) -> Result<(), ApiError> {
    expression.require_eq(&["version"], number(current.version));
    expression.add(&["version"], 1);
    expression.set(&["updated_at"], number(after.updated_at));
    expression.set(&["name"], string(&after.name));
    expression.set(&["description"], string(&after.description));
    expression.set(&["category"], string(&after.category));
    expression.set(&["active"], AttributeValue::Bool(after.active));
    expression.set(&["price_cents"], number(after.price_cents));
    expression.set(
        &["options"],
        AttributeValue::L(
            to_item(&OptionsDoc {
                options: after.options.clone(),
            })?
            .remove("options")
            .and_then(|l| l.as_l().ok().cloned())
            .unwrap_or_default(),
        ),
    );
    for (key, value) in index_attributes(&after.id, &after.category, &after.name) {
        expression.set(&[key], string(value));
    }
    for (id, variant) in &after.variants {
        match current.variants.get(id) {
            None => {
                expression.set(&["variants", id], AttributeValue::M(to_item(variant)?));
            }
            Some(before) => {
                let path = |field: &'static str| ["variants", id.as_str(), field];
                if variant.sku != before.sku {
                    expression.set(&path("sku"), string(&variant.sku));
                }
                if variant.options != before.options {
                    let options = variant
                        .options
                        .iter()
                        .map(|(k, v)| (k.clone(), string(v)))
                        .collect();
                    expression.set(&path("options"), AttributeValue::M(options));
                }
                if variant.price_cents != before.price_cents {
                    expression.set(&path("price_cents"), number(variant.price_cents));
                }
                if variant.weight_grams != before.weight_grams {
                    expression.set(&path("weight_grams"), number(variant.weight_grams));
                }
                if variant.active != before.active {
                    expression.set(&path("active"), AttributeValue::Bool(variant.active));
                }
                if variant.image_id != before.image_id
                    && let Some(image) = &variant.image_id
                {
                    expression.set(&path("image_id"), string(image));
                }
            }
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct OptionsDoc {
    options: Vec<super::variants::ProductOption>,
}

/// Adds a pending image to an existing product, with `act`'s entry in the audit log; `404` if
/// there is no product.
pub async fn add_image(
    table: &Table,
    product_id: &str,
    image: &ImageItem,
    act: crate::audit::Act<'_>,
    now: i64,
) -> Result<(), ApiError> {
    let update = table
        .update_of(keys::product(product_id), keys::PRODUCT_SK)
        .update_expression("SET images.#image = :image, updated_at = :now ADD version :one")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_names("#image", &image.id)
        .expression_attribute_values(":image", AttributeValue::M(to_item(image)?))
        .expression_attribute_values(":now", number(now))
        .expression_attribute_values(":one", number(1))
        .build()
        .map_err(ApiError::internal)?;
    let after = serde_json::json!({ "images": { &image.id: image } });
    let writes = vec![
        TransactWriteItem::builder().update(update).build(),
        act.put(table, "product", product_id, None::<&()>, Some(&after), now)?,
    ];
    if crate::db::transact_if(table, writes, None).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// Moves a pending image to its outcome. `false` if it was not pending (already processed:
/// the same S3 event delivered twice), or is unknown.
pub async fn finish_image(
    table: &Table,
    product_id: &str,
    image: &ImageItem,
    now: i64,
) -> Result<bool, ApiError> {
    write_image(table, product_id, image, now).await
}

/// Writes a processed image over its pending one, if it is still pending; `false` if not.
async fn write_image(
    table: &Table,
    product_id: &str,
    image: &ImageItem,
    now: i64,
) -> Result<bool, ApiError> {
    let request = table
        .client
        .update_item()
        .table_name(&table.name)
        .key("pk", string(keys::product(product_id)))
        .key("sk", string(keys::PRODUCT_SK))
        .update_expression("SET images.#image = :image, updated_at = :now ADD version :one")
        .condition_expression("images.#image.#status = :pending")
        .expression_attribute_names("#image", &image.id)
        .expression_attribute_values(":image", AttributeValue::M(to_item(image)?))
        .expression_attribute_values(":now", number(now))
        .expression_attribute_values(":one", number(1))
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":pending", string("pending"));
    match request.send().await {
        Ok(_) => Ok(true),
        Err(err)
            if matches!(
                err.as_service_error(),
                Some(UpdateItemError::ConditionalCheckFailedException(_))
            ) =>
        {
            Ok(false)
        }
        Err(err) => Err(err.into()),
    }
}

/// The status an image has now, if the product and the image exist.
pub async fn image_status(
    table: &Table,
    product_id: &str,
    image_id: &str,
) -> Result<Option<ImageStatus>, ApiError> {
    Ok(get(table, product_id)
        .await?
        .and_then(|p| p.images.get(image_id).map(|i| i.status)))
}

/// Which index a listing reads and how.
#[derive(Debug, Clone)]
pub struct Listing {
    pub index: ProductIndex,
    /// The index partition's value.
    pub partition: String,
    /// A prefix the index's sort key must begin with.
    pub sort_prefix: Option<String>,
    /// The range of the price index's sort key (its lower and upper ends).
    pub sort_range: Option<(String, String)>,
    pub category: Option<String>,
    /// Lowest and highest prices, for a listing not read by price.
    pub price_between: Option<(i64, i64)>,
    pub active_only: bool,
    /// Highest first.
    pub descending: bool,
}

impl Listing {
    /// Whether it reads price entries (then the products they name).
    fn by_price(&self) -> bool {
        matches!(
            self.index,
            ProductIndex::Price | ProductIndex::CategoryPrice
        )
    }
}

/// A listing's position: the table and index keys of the last item returned.
pub type Position = BTreeMap<String, String>;

/// The most items one `Query` of a filtered listing asks for.
const MAX_READ: usize = 200;

/// Up to `limit` products after `start`, and the position to continue from if there are more.
/// Reads one item beyond the page to know whether more exist, so a page with a cursor is never
/// empty and the last page never carries one, whatever DynamoDB's own paging does. A listing
/// by price reads the price entries in order, then their products.
pub async fn list(
    table: &Table,
    listing: &Listing,
    limit: usize,
    start: Option<Position>,
) -> Result<(Vec<ProductItem>, Option<Position>), ApiError> {
    let (pk_name, sk_name) = listing.index.key_attributes();
    let mut key_condition = format!("{pk_name} = :pk");
    let mut values = HashMap::from([(":pk".to_owned(), string(&listing.partition))]);
    if let Some(prefix) = &listing.sort_prefix {
        key_condition.push_str(&format!(" AND begins_with({sk_name}, :prefix)"));
        values.insert(":prefix".to_owned(), string(prefix));
    }
    if let Some((lower, upper)) = &listing.sort_range {
        key_condition.push_str(&format!(" AND {sk_name} BETWEEN :lower AND :upper"));
        values.insert(":lower".to_owned(), string(lower));
        values.insert(":upper".to_owned(), string(upper));
    }
    let mut filters = Vec::new();
    if listing.active_only {
        filters.push("active = :true");
        values.insert(":true".to_owned(), AttributeValue::Bool(true));
    }
    if let Some(category) = &listing.category {
        filters.push("category = :category");
        values.insert(":category".to_owned(), string(category));
    }
    if let Some((min, max)) = listing.price_between {
        filters.push("price_cents BETWEEN :min AND :max");
        values.insert(":min".to_owned(), number(min));
        values.insert(":max".to_owned(), number(max));
    }
    let filtered = !filters.is_empty();
    let mut items: Vec<Item> = Vec::new();
    let mut exclusive_start = start.map(|p| {
        p.into_iter()
            .map(|(k, v)| (k, string(v)))
            .collect::<HashMap<_, _>>()
    });
    loop {
        let wanted = (limit + 1).saturating_sub(items.len()).max(1);
        // A filter drops items after the read limit applies: read more per round to need fewer.
        let read = if filtered {
            wanted.saturating_mul(2).min(MAX_READ).max(wanted)
        } else {
            wanted
        };
        let output = table
            .client
            .query()
            .table_name(&table.name)
            .index_name(listing.index.name())
            .key_condition_expression(&key_condition)
            .set_filter_expression(filtered.then(|| filters.join(" AND ")))
            .set_expression_attribute_values(Some(values.clone()))
            .set_exclusive_start_key(exclusive_start.take())
            .scan_index_forward(!listing.descending)
            .limit(i32::try_from(read).unwrap_or(i32::MAX))
            .send()
            .await?;
        items.extend(output.items.unwrap_or_default());
        exclusive_start = output.last_evaluated_key;
        if items.len() > limit || exclusive_start.is_none() {
            break;
        }
    }
    let more = items.len() > limit;
    items.truncate(limit);
    let next = if more {
        items.last().map(|last| position(last, listing))
    } else {
        None
    };
    let products = if listing.by_price() {
        let entries: Vec<PriceEntry> =
            items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        let ids: Vec<(String, String)> = entries
            .iter()
            .map(|e| (keys::product(&e.product_id), keys::PRODUCT_SK.to_owned()))
            .collect();
        let mut found: HashMap<String, ProductItem> = batch_get::<ProductItem>(table, &ids)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        entries
            .iter()
            .filter_map(|e| found.remove(&e.product_id))
            .collect()
    } else {
        items.into_iter().map(from_item).collect::<Result<_, _>>()?
    };
    Ok((products, next))
}

fn position(item: &Item, listing: &Listing) -> Position {
    let (pk_name, sk_name) = listing.index.key_attributes();
    ["pk", "sk", pk_name, sk_name]
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), item.get(*name)?.as_s().ok()?.clone())))
        .collect()
}

/// A decoded cursor must name exactly the keys of the listing's index, in its partition.
pub fn checked_position(position: Position, listing: &Listing) -> Result<Position, ApiError> {
    let (pk_name, sk_name) = listing.index.key_attributes();
    let expected = ["pk", "sk", pk_name, sk_name];
    let ok = position.len() == expected.len()
        && expected.iter().all(|k| position.contains_key(*k))
        && position.get(pk_name) == Some(&listing.partition);
    if ok {
        Ok(position)
    } else {
        Err(ApiError::InvalidCursor)
    }
}

/// A variant at or below a stock level.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LowStock {
    pub product_id: String,
    pub variant_id: String,
    pub sku: String,
    pub stock: i64,
}

/// The active variants of active products with at most `max` units, in the products'
/// creation order: the whole catalog read through its index, page by page, only the fields
/// this needs.
pub async fn low_stock(table: &Table, max: i64) -> Result<Vec<LowStock>, ApiError> {
    #[derive(Deserialize)]
    struct Stocked {
        id: String,
        #[serde(default)]
        variants: BTreeMap<String, VariantItem>,
    }
    let index = ProductIndex::Catalog;
    let query = table
        .query_partition(index.index(), keys::partition(index, ""), None)
        .filter_expression("active = :true")
        .expression_attribute_values(":true", AttributeValue::Bool(true))
        .projection_expression("id, variants");
    let mut found = Vec::new();
    for_each_page(query, |page| {
        for item in page.items.unwrap_or_default() {
            let product: Stocked = from_item(item)?;
            for variant in product.variants.values() {
                if variant.active && variant.stock <= max {
                    found.push(LowStock {
                        product_id: product.id.clone(),
                        variant_id: variant.id.clone(),
                        sku: variant.sku.clone(),
                        stock: variant.stock,
                    });
                }
            }
        }
        Ok(())
    })
    .await?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_must_name_the_keys_of_its_index() {
        let listing = Listing {
            index: ProductIndex::Category,
            partition: "CATEGORY#mugs".to_owned(),
            sort_prefix: None,
            sort_range: None,
            category: None,
            price_between: None,
            active_only: true,
            descending: false,
        };
        let good: Position = [
            ("pk", "P"),
            ("sk", "S"),
            ("gsi2pk", "CATEGORY#mugs"),
            ("gsi2sk", "01J"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert!(checked_position(good.clone(), &listing).is_ok());
        let mut other_category = good.clone();
        other_category.insert("gsi2pk".into(), "CATEGORY#hats".into());
        assert!(checked_position(other_category, &listing).is_err());
        let mut extra = good;
        extra.insert("gsi1sk".into(), "x".into());
        assert!(checked_position(extra, &listing).is_err());
    }
}
