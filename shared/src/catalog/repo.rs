//! Every DynamoDB access of the catalog (keys in [`super::keys`]).
//!
//! A product and its SKU item are written in one transaction, so two products can never share
//! a SKU. Listings are `Query`s on an index, never a `Scan`.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::keys::{self, ProductIndex};
use super::model::{ImageItem, ImageStatus, ProductFields, ProductItem, index_attributes};
use crate::db::{
    Table, any_condition_failed, condition_failed_at, for_each_page, from_item, number, put_if,
    string, to_item, transaction_failed,
};
use crate::error::{ApiError, ErrorCode};

#[derive(Serialize, Deserialize)]
struct SkuItem {
    pk: String,
    sk: String,
    product_id: String,
}

fn sku_taken() -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::SkuTaken,
        detail: "Another product has this SKU.".to_owned(),
    }
}

fn put_sku(table: &Table, sku: &str, product_id: &str) -> Result<TransactWriteItem, ApiError> {
    let item = SkuItem {
        pk: keys::sku(sku),
        sk: keys::SKU_SK.to_owned(),
        product_id: product_id.to_owned(),
    };
    put_if(table, &item, "attribute_not_exists(pk)")
}

/// Writes a new product and its SKU item together; `409 sku_taken` if the SKU is in use.
pub async fn create(table: &Table, product: &ProductItem) -> Result<(), ApiError> {
    let result = table
        .client
        .transact_write_items()
        .transact_items(put_if(table, product, "attribute_not_exists(pk)")?)
        .transact_items(put_sku(table, &product.sku, &product.id)?)
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(err) if condition_failed_at(&err, 1) => Err(sku_taken()),
        Err(err) => Err(transaction_failed(err)),
    }
}

pub async fn get(table: &Table, id: &str) -> Result<Option<ProductItem>, ApiError> {
    table.get(&keys::product(id), keys::PRODUCT_SK).await
}

/// Applies `fields` to the product at `version`; `412` if it changed since, `409 sku_taken` if
/// the new SKU is in use. A new SKU swaps the SKU items in the same transaction.
pub async fn update(
    table: &Table,
    current: &ProductItem,
    fields: &ProductFields,
    now: i64,
) -> Result<ProductItem, ApiError> {
    let mut sets = vec!["updated_at = :now".to_owned()];
    let mut names: HashMap<String, String> = HashMap::new();
    let mut values: HashMap<String, AttributeValue> = HashMap::from([
        (":now".to_owned(), number(now)),
        (":one".to_owned(), number(1)),
        (":version".to_owned(), number(current.version)),
    ]);
    let mut set = |field: &str, value: AttributeValue| {
        sets.push(format!("#{field} = :{field}"));
        names.insert(format!("#{field}"), field.to_owned());
        values.insert(format!(":{field}"), value);
    };
    if let Some(sku) = &fields.sku {
        set("sku", string(sku.as_str()));
    }
    if let Some(name) = &fields.name {
        set("name", string(name.as_str()));
    }
    if let Some(description) = &fields.description {
        set("description", string(description.as_str()));
    }
    if let Some(price) = fields.price_cents {
        set("price_cents", number(price.get()));
    }
    if let Some(category) = &fields.category {
        set("category", string(category.as_str()));
    }
    if let Some(active) = fields.active {
        set("active", AttributeValue::Bool(active));
    }
    let category = fields
        .category
        .as_ref()
        .map_or(current.category.as_str(), |c| c.as_str());
    let name = fields
        .name
        .as_ref()
        .map_or(current.name.as_str(), |n| n.as_str());
    for (key, value) in index_attributes(&current.id, category, name) {
        set(key, string(value));
    }
    // Stock is never written absolutely: the difference from the stock this edit read is
    // added to the stock there is when it is written (a `count` movement), so a sale that lands
    // between the read and the write is never lost. It never goes below 0.
    let stock_delta = fields
        .stock
        .map(|stock| stock.get() - current.stock)
        .filter(|delta| *delta != 0);
    if let Some(delta) = stock_delta {
        sets.push("stock = stock + :stock_delta".to_owned());
        values.insert(":stock_delta".to_owned(), number(delta));
        values.insert(":stock_floor".to_owned(), number((-delta).max(0)));
    }
    let update = table
        .update_of(&current.pk, keys::PRODUCT_SK)
        .update_expression(format!("SET {} ADD version :one", sets.join(", ")))
        .condition_expression(if stock_delta.is_some() {
            "version = :version AND stock >= :stock_floor"
        } else {
            "version = :version"
        })
        .return_values_on_condition_check_failure(
            aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
        )
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(ApiError::internal)?;
    let mut transaction = table
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(update).build());
    let new_sku = fields
        .sku
        .as_ref()
        .map(|sku| sku.as_str())
        .filter(|sku| *sku != current.sku);
    if let Some(sku) = new_sku {
        let release = table
            .delete_of(keys::sku(&current.sku), keys::SKU_SK)
            .build()
            .map_err(ApiError::internal)?;
        transaction = transaction
            .transact_items(put_sku(table, sku, &current.id)?)
            .transact_items(TransactWriteItem::builder().delete(release).build());
    }
    match transaction.send().await {
        Ok(_) => {}
        Err(err) if condition_failed_at(&err, 0) => {
            return Err(match (stock_delta, now_stock(&err)) {
                // The version held: what failed is the floor (sales took more meanwhile).
                (Some(delta), Some((version, stock))) if version == current.version => {
                    let short = crate::error::FieldError::new(
                        "stock",
                        format!("{} left, {delta} asked", stock.max(0)),
                    );
                    ApiError::OutOfStock(vec![short])
                }
                _ => ApiError::PreconditionFailed,
            });
        }
        Err(err) if new_sku.is_some() && condition_failed_at(&err, 1) => return Err(sku_taken()),
        Err(err) if any_condition_failed(&err) => return Err(ApiError::PreconditionFailed),
        Err(err) => return Err(transaction_failed(err)),
    }
    get(table, &current.id).await?.ok_or(ApiError::NotFound)
}

/// The version and stock of the product as a cancelled update found it.
fn now_stock(
    err: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        aws_sdk_dynamodb::config::http::HttpResponse,
    >,
) -> Option<(i64, i64)> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
        err.as_service_error()
    else {
        return None;
    };
    let item = cancelled.cancellation_reasons().first()?.item()?;
    let read = |name: &str| item.get(name)?.as_n().ok()?.parse::<i64>().ok();
    Some((read("version")?, read("stock")?))
}

/// Adds a pending image to an existing product; `404` if there is no product.
pub async fn add_image(
    table: &Table,
    product_id: &str,
    image: &ImageItem,
    now: i64,
) -> Result<(), ApiError> {
    if write_image(table, product_id, image, ImageWrite::New, now).await? {
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
    write_image(table, product_id, image, ImageWrite::Finish, now).await
}

/// What an image write requires of the product.
enum ImageWrite {
    /// The product exists.
    New,
    /// The image exists and is still pending.
    Finish,
}

/// Writes one image of a product if `when` holds; `false` if it did not.
async fn write_image(
    table: &Table,
    product_id: &str,
    image: &ImageItem,
    when: ImageWrite,
    now: i64,
) -> Result<bool, ApiError> {
    let condition = match when {
        ImageWrite::New => "attribute_exists(pk)",
        ImageWrite::Finish => "images.#image.#status = :pending",
    };
    let mut request = table
        .client
        .update_item()
        .table_name(&table.name)
        .key("pk", string(keys::product(product_id)))
        .key("sk", string(keys::PRODUCT_SK))
        .update_expression("SET images.#image = :image, updated_at = :now ADD version :one")
        .condition_expression(condition)
        .expression_attribute_names("#image", &image.id)
        .expression_attribute_values(":image", AttributeValue::M(to_item(image)?))
        .expression_attribute_values(":now", number(now))
        .expression_attribute_values(":one", number(1));
    if let ImageWrite::Finish = when {
        request = request
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", string("pending"));
    }
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
    pub category: Option<String>,
    pub active_only: bool,
}

/// A listing's position: the table and index keys of the last item returned.
pub type Position = BTreeMap<String, String>;

/// The most items one `Query` of a filtered listing asks for.
const MAX_READ: usize = 200;

/// Up to `limit` products after `start`, and the position to continue from if there are more.
/// Reads one item beyond the page to know whether more exist, so a page with a cursor is never
/// empty and the last page never carries one, whatever DynamoDB's own paging does.
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
    let mut filters = Vec::new();
    if listing.active_only {
        filters.push("active = :true");
        values.insert(":true".to_owned(), AttributeValue::Bool(true));
    }
    if let Some(category) = &listing.category {
        filters.push("category = :category");
        values.insert(":category".to_owned(), string(category));
    }
    let filtered = !filters.is_empty();
    let mut items: Vec<ProductItem> = Vec::new();
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
            .limit(i32::try_from(read).unwrap_or(i32::MAX))
            .send()
            .await?;
        for item in output.items.unwrap_or_default() {
            items.push(from_item(item)?);
        }
        exclusive_start = output.last_evaluated_key;
        if items.len() > limit || exclusive_start.is_none() {
            break;
        }
    }
    if items.len() <= limit {
        return Ok((items, None));
    }
    items.truncate(limit);
    let next = items.last().map(|last| position(last, listing));
    Ok((items, next))
}

fn position(item: &ProductItem, listing: &Listing) -> Position {
    let (pk_name, sk_name) = listing.index.key_attributes();
    BTreeMap::from([
        ("pk".to_owned(), item.pk.clone()),
        ("sk".to_owned(), item.sk.clone()),
        (pk_name.to_owned(), listing.partition.clone()),
        (sk_name.to_owned(), item.sort_key(listing.index).to_owned()),
    ])
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

/// A product at or below a stock level.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LowStock {
    #[serde(rename = "product_id", alias = "id")]
    pub product_id: String,
    pub sku: String,
    pub stock: i64,
}

/// Active products with at most `max` units, in creation order: the whole catalog read through
/// its index with a filter, page by page (only the three fields are returned).
pub async fn low_stock(table: &Table, max: i64) -> Result<Vec<LowStock>, ApiError> {
    let index = ProductIndex::Catalog;
    let query = table
        .query_partition(index.index(), keys::partition(index, ""), None)
        .filter_expression("active = :true AND stock <= :max")
        .expression_attribute_values(":true", AttributeValue::Bool(true))
        .expression_attribute_values(":max", number(max))
        .projection_expression("id, sku, stock");
    let mut found = Vec::new();
    for_each_page(query, |page| {
        for item in page.items.unwrap_or_default() {
            found.push(from_item(item)?);
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
            category: None,
            active_only: true,
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
