//! Stock only moves: every change of a variant's stock is a movement in its append-only ledger,
//! written in the transaction of the change.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | a variant's id, naming its product | `VARIANT#<variant>` | `VARIANT` |
//! | its movements, in order | `VARIANT#<variant>` | `MOVE#<sequence, 10 digits>` |
//!
//! A variant (in its product's item) counts its movements. A change is written on the
//! condition that the count is still the one read, and its movement takes the next number with
//! the stock after it: so the ledger's entries follow each other exactly, the newest one's
//! `stock_after` is the stock, and the deltas add up to it. A change that lost the race is
//! planned again from a fresh read; a delta is never turned into an overwrite.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::keys;
use super::model::ProductItem;
use crate::clock::rfc3339;
use crate::db::{Table, from_item, number, put_if, string};
use crate::error::{ApiError, FieldError};
use crate::expression::Expression;
use crate::ids::Id;
use crate::values::whole_number_in;

pub fn variant(id: &str) -> String {
    format!("VARIANT#{id}")
}
pub const VARIANT_SK: &str = "VARIANT";
const MOVE_PREFIX: &str = "MOVE#";

pub fn movement_sk(sequence: i64) -> String {
    format!("{MOVE_PREFIX}{sequence:010}")
}

/// Why stock moved. Staff adjust by the first four; orders move it by the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    Restock,
    Correction,
    Damage,
    Count,
    Sale,
    Cancel,
    Expiry,
    Return,
}

/// The reasons a staff adjustment may give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdjustReason {
    Restock,
    Correction,
    Damage,
    Count,
}

impl From<AdjustReason> for Reason {
    fn from(reason: AdjustReason) -> Self {
        match reason {
            AdjustReason::Restock => Self::Restock,
            AdjustReason::Correction => Self::Correction,
            AdjustReason::Damage => Self::Damage,
            AdjustReason::Count => Self::Count,
        }
    }
}

/// A change of stock asked for by staff: −1,000,000…1,000,000, not 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delta(i64);

whole_number_in!(Delta, -1_000_000, 1_000_000);

/// `POST /products/{id}/variants/{variant_id}/stock`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    pub delta: Option<Delta>,
    pub reason: Option<AdjustReason>,
}

impl crate::http::Input for Adjustment {
    const REQUIRED: &'static [&'static str] = &["delta", "reason"];
}

/// The item that names a variant's product.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VariantKey {
    pub pk: String,
    pub sk: String,
    pub product_id: String,
}

impl VariantKey {
    pub fn new(variant_id: &str, product_id: &str) -> Self {
        Self {
            pk: variant(variant_id),
            sk: VARIANT_SK.to_owned(),
            product_id: product_id.to_owned(),
        }
    }
}

/// One movement as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MovementItem {
    pub pk: String,
    pub sk: String,
    pub id: String,
    pub variant_id: String,
    pub product_id: String,
    pub at: i64,
    pub delta: i64,
    pub stock_after: i64,
    pub reason: Reason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
}

/// A movement as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Movement {
    pub id: String,
    pub at: String,
    pub delta: i64,
    pub stock_after: i64,
    pub reason: Reason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
}

impl MovementItem {
    pub fn view(&self) -> Movement {
        Movement {
            id: self.id.clone(),
            at: rfc3339(self.at),
            delta: self.delta,
            stock_after: self.stock_after,
            reason: self.reason,
            order_id: self.order_id.clone(),
            actor_id: self.actor_id.clone(),
        }
    }
}

/// One change to make: `delta` units of a variant of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub product_id: String,
    pub variant_id: String,
    pub delta: i64,
    pub reason: Reason,
    pub order_id: Option<String>,
    pub actor_id: Option<String>,
}

/// What a change asks of its variant besides its count of movements: a sale asks that the
/// product and the variant are for sale at the price the order was priced at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requires {
    Nothing,
    ForSaleAt(i64),
}

/// The changes of one product's variants, planned against the product as read.
#[derive(Debug, Clone, Default)]
pub struct Planned {
    /// Per variant: the count of movements read, the stock and count after, what it requires.
    pub variants: BTreeMap<String, (i64, i64, i64, Requires)>,
    pub movements: Vec<MovementItem>,
}

/// Changes that would leave a variant below zero: their indexes, and the units left.
pub type Short = Vec<(usize, i64)>;

/// Plans `changes` (with what each requires) against `products` as read: per product the
/// variants' stock after, per change its movement. A change of a variant that is not in its
/// product (the product is not read, or the variant not there) is an error of the caller's
/// reading: `None` in its place tells it apart from a short one.
pub fn plan(
    products: &HashMap<String, ProductItem>,
    changes: &[(Change, Requires)],
    now: i64,
) -> Result<BTreeMap<String, Planned>, PlanRefused> {
    let mut planned: BTreeMap<String, Planned> = BTreeMap::new();
    let mut short = Vec::new();
    let mut missing = Vec::new();
    for (index, (change, requires)) in changes.iter().enumerate() {
        let Some(read) = products
            .get(&change.product_id)
            .and_then(|p| p.variants.get(&change.variant_id))
        else {
            missing.push(index);
            continue;
        };
        let product = planned.entry(change.product_id.clone()).or_default();
        let entry = product
            .variants
            .entry(change.variant_id.clone())
            .or_insert((read.movements, read.stock, read.movements, *requires));
        let after = entry.1 + change.delta;
        if after < 0 {
            short.push((index, entry.1.max(0)));
            continue;
        }
        entry.1 = after;
        entry.2 += 1;
        product.movements.push(MovementItem {
            pk: variant(&change.variant_id),
            sk: movement_sk(entry.2),
            id: Id::new().to_string(),
            variant_id: change.variant_id.clone(),
            product_id: change.product_id.clone(),
            at: now,
            delta: change.delta,
            stock_after: after,
            reason: change.reason,
            order_id: change.order_id.clone(),
            actor_id: change.actor_id.clone(),
        });
    }
    if !missing.is_empty() {
        return Err(PlanRefused::Missing(missing));
    }
    if !short.is_empty() {
        return Err(PlanRefused::Short(short));
    }
    Ok(planned)
}

/// Why changes could not be planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanRefused {
    /// The changes (by index) whose variant was not read.
    Missing(Vec<usize>),
    /// The changes that would leave their variant below zero.
    Short(Short),
}

/// Adds one product's planned changes to its update: each variant's stock and count set, on
/// the condition that the count is still the one read (and, for a sale, that the product and
/// the variant are for sale at that price).
pub fn add_to(expression: &mut Expression, planned: &Planned) {
    let mut for_sale = false;
    for (variant_id, (read, stock, count, requires)) in &planned.variants {
        let id = variant_id.as_str();
        expression.set(&["variants", id, "stock"], number(*stock));
        expression.set(&["variants", id, "movements"], number(*count));
        expression.require_eq(&["variants", id, "movements"], number(*read));
        if let Requires::ForSaleAt(price) = requires {
            expression.require_eq(&["variants", id, "active"], AttributeValue::Bool(true));
            expression.require_eq(&["variants", id, "price_cents"], number(*price));
            for_sale = true;
        }
    }
    if for_sale {
        expression.require_eq(&["active"], AttributeValue::Bool(true));
    }
}

/// The transaction's writes of planned changes: one update per product, one put per movement.
pub fn writes(
    table: &Table,
    planned: &BTreeMap<String, Planned>,
) -> Result<Vec<TransactWriteItem>, ApiError> {
    let mut writes = Vec::new();
    for (product_id, changes) in planned {
        let mut expression = Expression::new();
        add_to(&mut expression, changes);
        writes.push(expression.update_of(table, &keys::product(product_id), keys::PRODUCT_SK)?);
    }
    for changes in planned.values() {
        writes.extend(movement_puts(table, &changes.movements)?);
    }
    Ok(writes)
}

/// The puts of movements (their numbers are unique by the count's condition).
pub fn movement_puts(
    table: &Table,
    movements: &[MovementItem],
) -> Result<Vec<TransactWriteItem>, ApiError> {
    movements
        .iter()
        .map(|m| put_if(table, m, "attribute_not_exists(pk)"))
        .collect()
}

/// The products a cancelled transaction found changed (those whose condition failed), as
/// they are now.
pub fn found_products(refusals: Vec<crate::db::Refusal>) -> Vec<ProductItem> {
    refusals
        .into_iter()
        .filter(|r| r.failed)
        .filter_map(|r| r.item)
        .filter(|item| {
            item.get("sk")
                .and_then(|sk| sk.as_s().ok())
                .map(String::as_str)
                == Some(keys::PRODUCT_SK)
        })
        .filter_map(|item| from_item::<ProductItem>(item).ok())
        .collect()
}

/// The products of `ids`, as they are now (strongly consistent), by id.
pub async fn read(
    table: &Table,
    ids: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, ProductItem>, ApiError> {
    let keys: Vec<(String, String)> = ids
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|id| (keys::product(&id), keys::PRODUCT_SK.to_owned()))
        .collect();
    let items: Vec<ProductItem> = crate::db::batch_get(table, &keys).await?;
    Ok(items.into_iter().map(|p| (p.id.clone(), p)).collect())
}

/// The products the variants `ids` belong to, by variant id (strongly consistent); unknown
/// variants are left out.
pub async fn products_of(
    table: &Table,
    ids: &[String],
) -> Result<HashMap<String, String>, ApiError> {
    let keys: Vec<(String, String)> = ids
        .iter()
        .map(|id| (variant(id), VARIANT_SK.to_owned()))
        .collect();
    let found: Vec<VariantKey> = crate::db::batch_get(table, &keys).await?;
    Ok(found
        .into_iter()
        .filter_map(|k| Some((k.pk.strip_prefix("VARIANT#")?.to_owned(), k.product_id)))
        .collect())
}

/// A position in a variant's ledger: the sequence of the last movement shown.
pub type Position = i64;

/// Up to `limit` movements of a variant, newest first, from before `before`; and the
/// sequence to continue from if there are more. `404` for a variant that does not exist.
pub async fn list(
    table: &Table,
    variant_id: &str,
    limit: usize,
    before: Option<Position>,
) -> Result<(Vec<MovementItem>, Option<Position>), ApiError> {
    let upper = match before {
        Some(sequence) if sequence >= 2 => movement_sk(sequence - 1),
        Some(1) => return Ok((Vec::new(), None)),
        Some(_) => return Err(ApiError::InvalidCursor),
        None => format!("{MOVE_PREFIX}~"),
    };
    let output = table
        .client
        .query()
        .table_name(&table.name)
        .key_condition_expression("pk = :pk AND sk BETWEEN :lower AND :upper")
        .expression_attribute_values(":pk", string(variant(variant_id)))
        .expression_attribute_values(":lower", string(MOVE_PREFIX))
        .expression_attribute_values(":upper", string(upper))
        .scan_index_forward(false)
        .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
        .send()
        .await?;
    let mut items: Vec<MovementItem> = output
        .items
        .unwrap_or_default()
        .into_iter()
        .map(from_item)
        .collect::<Result<_, _>>()?;
    if items.is_empty() && before.is_none() {
        let exists: Option<VariantKey> = table.get(&variant(variant_id), VARIANT_SK).await?;
        if exists.is_none() {
            return Err(ApiError::NotFound);
        }
    }
    if items.len() <= limit {
        return Ok((items, None));
    }
    items.truncate(limit);
    let next = items.last().and_then(|m| sequence_of(&m.sk));
    Ok((items, next))
}

fn sequence_of(sk: &str) -> Option<i64> {
    sk.strip_prefix(MOVE_PREFIX)?.parse().ok()
}

/// `409 out_of_stock` for changes that would go below zero, each named by `field(index)`.
pub fn out_of_stock(short: &[(usize, i64)], field: impl Fn(usize) -> String) -> ApiError {
    ApiError::OutOfStock(
        short
            .iter()
            .map(|&(index, left)| FieldError::new(field(index), format!("{left} left")))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::variants::VariantItem;

    fn product(id: &str, variants: &[(&str, i64, i64)]) -> ProductItem {
        let mut item = crate::catalog::model::tests::product_item(id);
        item.variants = variants
            .iter()
            .map(|&(v, stock, movements)| {
                (
                    v.to_owned(),
                    VariantItem {
                        id: v.to_owned(),
                        sku: format!("SKU-{v}"),
                        options: Default::default(),
                        price_cents: 100,
                        stock,
                        weight_grams: 0,
                        active: true,
                        image_id: None,
                        movements,
                        created_at: 0,
                    },
                )
            })
            .collect();
        item
    }

    fn change(product: &str, variant: &str, delta: i64) -> (Change, Requires) {
        (
            Change {
                product_id: product.to_owned(),
                variant_id: variant.to_owned(),
                delta,
                reason: Reason::Sale,
                order_id: Some("o".to_owned()),
                actor_id: None,
            },
            Requires::Nothing,
        )
    }

    #[test]
    fn each_change_is_the_next_movement_with_the_stock_after_it() {
        let products: HashMap<String, ProductItem> = [product("p", &[("a", 10, 4), ("b", 2, 0)])]
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        let planned = plan(
            &products,
            &[
                change("p", "a", -3),
                change("p", "b", -2),
                change("p", "a", 5),
            ],
            7,
        )
        .unwrap();
        let p = &planned["p"];
        assert_eq!(p.variants["a"].0, 4, "conditional on the count read");
        assert_eq!((p.variants["a"].1, p.variants["a"].2), (12, 6));
        assert_eq!((p.variants["b"].1, p.variants["b"].2), (0, 1));
        let ledger: Vec<(&str, &str, i64, i64)> = p
            .movements
            .iter()
            .map(|m| (m.pk.as_str(), m.sk.as_str(), m.delta, m.stock_after))
            .collect();
        assert_eq!(
            ledger,
            [
                ("VARIANT#a", "MOVE#0000000005", -3, 7),
                ("VARIANT#b", "MOVE#0000000001", -2, 0),
                ("VARIANT#a", "MOVE#0000000006", 5, 12),
            ]
        );
    }

    #[test]
    fn a_change_below_zero_is_short_and_an_unread_variant_is_missing() {
        let products: HashMap<String, ProductItem> = [product("p", &[("a", 2, 0)])]
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        assert_eq!(
            plan(&products, &[change("p", "a", -2), change("p", "a", -1)], 0).unwrap_err(),
            PlanRefused::Short(vec![(1, 0)])
        );
        assert_eq!(
            plan(&products, &[change("p", "z", -1), change("q", "a", 1)], 0).unwrap_err(),
            PlanRefused::Missing(vec![0, 1])
        );
    }
}
