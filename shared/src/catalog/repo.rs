//! Every DynamoDB access of the catalog. Keys:
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | product | `PRODUCT#<id>` | `PRODUCT` | gsi1 `CATALOG`/id, gsi2 `CATEGORY#<c>`/id, gsi3 `NAME`/`<name lower>#<id>` |
//! | SKU uniqueness | `SKU#<sku>` | `SKU` | |
//!
//! A product and its SKU item are written in one transaction, so two products can never share
//! a SKU. Listings are `Query`s on an index, never a `Scan`.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::model::{ImageItem, ImageStatus, ProductFields, ProductItem, index_keys};
use crate::db::{
    Table, any_condition_failed, condition_failed_at, from_item, n, put_if, s, to_item,
};
use crate::error::{ApiError, ErrorCode};

pub fn product_pk(id: &str) -> String {
    format!("PRODUCT#{id}")
}
pub const PRODUCT_SK: &str = "PRODUCT";
fn sku_pk(sku: &str) -> String {
    format!("SKU#{sku}")
}
const SKU_SK: &str = "SKU";

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
        pk: sku_pk(sku),
        sk: SKU_SK.to_owned(),
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
        Err(err) => Err(err.into()),
    }
}

pub async fn get(table: &Table, id: &str) -> Result<Option<ProductItem>, ApiError> {
    table.get(&product_pk(id), PRODUCT_SK).await
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
        (":now".to_owned(), n(now)),
        (":one".to_owned(), n(1)),
        (":version".to_owned(), n(current.version)),
    ]);
    let mut set = |field: &str, value: AttributeValue| {
        sets.push(format!("#{field} = :{field}"));
        names.insert(format!("#{field}"), field.to_owned());
        values.insert(format!(":{field}"), value);
    };
    if let Some(sku) = &fields.sku {
        set("sku", s(sku));
    }
    if let Some(name) = &fields.name {
        set("name", s(name));
    }
    if let Some(description) = &fields.description {
        set("description", s(description));
    }
    if let Some(price) = fields.price_cents {
        set("price_cents", n(price));
    }
    if let Some(category) = &fields.category {
        set("category", s(category));
    }
    if let Some(stock) = fields.stock {
        set("stock", n(stock));
    }
    if let Some(active) = fields.active {
        set("active", AttributeValue::Bool(active));
    }
    let category = fields.category.as_deref().unwrap_or(&current.category);
    let name = fields.name.as_deref().unwrap_or(&current.name);
    for (key, value) in index_keys(&current.id, category, name) {
        set(key, s(value));
    }
    let update = Update::builder()
        .table_name(&table.name)
        .key("pk", s(&current.pk))
        .key("sk", s(PRODUCT_SK))
        .update_expression(format!("SET {} ADD version :one", sets.join(", ")))
        .condition_expression("version = :version")
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(ApiError::internal)?;
    let mut transaction = table
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(update).build());
    let new_sku = fields.sku.as_ref().filter(|sku| **sku != current.sku);
    if let Some(sku) = new_sku {
        let release = Delete::builder()
            .table_name(&table.name)
            .key("pk", s(sku_pk(&current.sku)))
            .key("sk", s(SKU_SK))
            .build()
            .map_err(ApiError::internal)?;
        transaction = transaction
            .transact_items(put_sku(table, sku, &current.id)?)
            .transact_items(TransactWriteItem::builder().delete(release).build());
    }
    match transaction.send().await {
        Ok(_) => {}
        Err(err) if condition_failed_at(&err, 0) => return Err(ApiError::PreconditionFailed),
        Err(err) if new_sku.is_some() && condition_failed_at(&err, 1) => return Err(sku_taken()),
        Err(err) if any_condition_failed(&err) => return Err(ApiError::PreconditionFailed),
        Err(err) => return Err(err.into()),
    }
    get(table, &current.id).await?.ok_or(ApiError::NotFound)
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
        .key("pk", s(product_pk(product_id)))
        .key("sk", s(PRODUCT_SK))
        .update_expression("SET images.#image = :image, updated_at = :now ADD version :one")
        .condition_expression(condition)
        .expression_attribute_names("#image", &image.id)
        .expression_attribute_values(":image", AttributeValue::M(to_item(image)?))
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":one", n(1));
    if let ImageWrite::Finish = when {
        request = request
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", s("pending"));
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
    pub index: &'static str,
    pub partition: (&'static str, String),
    /// The sort key's name and a prefix it must begin with.
    pub sort_prefix: Option<(&'static str, String)>,
    pub category: Option<String>,
    pub active_only: bool,
}

/// A listing's position: the table and index keys of the last item returned.
pub type Position = BTreeMap<String, String>;

/// Up to `limit` products after `start`, and the position to continue from if there are more.
/// Reads one item beyond the page to know whether more exist, so a page with a cursor is never
/// empty and the last page never carries one, whatever DynamoDB's own paging does.
pub async fn list(
    table: &Table,
    listing: &Listing,
    limit: usize,
    start: Option<Position>,
) -> Result<(Vec<ProductItem>, Option<Position>), ApiError> {
    let (pk_name, pk_value) = &listing.partition;
    let mut key_condition = format!("{pk_name} = :pk");
    let mut values = HashMap::from([(":pk".to_owned(), s(pk_value))]);
    if let Some((sk_name, prefix)) = &listing.sort_prefix {
        key_condition.push_str(&format!(" AND begins_with({sk_name}, :prefix)"));
        values.insert(":prefix".to_owned(), s(prefix));
    }
    let mut filters = Vec::new();
    if listing.active_only {
        filters.push("active = :true");
        values.insert(":true".to_owned(), AttributeValue::Bool(true));
    }
    if let Some(category) = &listing.category {
        filters.push("category = :category");
        values.insert(":category".to_owned(), s(category));
    }
    let filtered = !filters.is_empty();
    let mut items: Vec<ProductItem> = Vec::new();
    let mut exclusive_start = start.map(|p| {
        p.into_iter()
            .map(|(k, v)| (k, s(v)))
            .collect::<HashMap<_, _>>()
    });
    loop {
        let wanted = limit + 1 - items.len();
        // A filter drops items after the read limit applies: read more per round to need fewer.
        let read = if filtered {
            (wanted * 2).clamp(wanted, 100)
        } else {
            wanted
        };
        let output = table
            .client
            .query()
            .table_name(&table.name)
            .index_name(listing.index)
            .key_condition_expression(&key_condition)
            .set_filter_expression(filtered.then(|| filters.join(" AND ")))
            .set_expression_attribute_values(Some(values.clone()))
            .set_exclusive_start_key(exclusive_start.take())
            .limit(read as i32)
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
    let (pk_name, pk_value) = &listing.partition;
    let sort_key = match listing.index {
        "gsi2" => ("gsi2sk", item.gsi2sk.clone()),
        "gsi3" => ("gsi3sk", item.gsi3sk.clone()),
        _ => ("gsi1sk", item.gsi1sk.clone()),
    };
    BTreeMap::from([
        ("pk".to_owned(), item.pk.clone()),
        ("sk".to_owned(), item.sk.clone()),
        ((*pk_name).to_owned(), pk_value.clone()),
        (sort_key.0.to_owned(), sort_key.1),
    ])
}
