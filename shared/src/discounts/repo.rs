//! Discount codes' DynamoDB access, and the writes an order's transaction carries to count a
//! redemption or give one back.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use serde::Deserialize;

use super::keys;
use super::model::DiscountItem;
use crate::db::{Index, Position, Table, from_item, newest_first, number};
use crate::error::ApiError;

/// Stores a new code, with `act`'s entry in the audit log. `false`: the code exists.
pub async fn create(
    table: &Table,
    item: &DiscountItem,
    act: crate::audit::Act<'_>,
    now: i64,
) -> Result<bool, ApiError> {
    let writes = vec![
        crate::db::put_if(table, item, "attribute_not_exists(pk)")?,
        act.put(table, "discount", &item.code, None::<&()>, Some(item), now)?,
    ];
    crate::db::transact_if(table, writes, None).await
}

/// The code, strongly consistent.
pub async fn get(table: &Table, code: &str) -> Result<Option<DiscountItem>, ApiError> {
    table.get(&keys::discount(code), keys::DISCOUNT_SK).await
}

/// How many orders of `customer` hold the code now.
pub async fn used(table: &Table, code: &str, customer: &str) -> Result<i64, ApiError> {
    #[derive(Deserialize)]
    struct Count {
        #[serde(default)]
        count: i64,
    }
    let found: Option<Count> = table
        .get(&keys::discount(code), &keys::usage(customer))
        .await?;
    Ok(found.map_or(0, |c| c.count))
}

/// Writes an edit of `current` (on the condition that it is still its version): every field
/// but the count of redemptions, which orders keep moving meanwhile, with `act`'s entry in the
/// audit log. `false`: another edit landed first.
pub async fn update(
    table: &Table,
    current: &DiscountItem,
    next: &DiscountItem,
    act: crate::audit::Act<'_>,
) -> Result<bool, ApiError> {
    let before = current.version;
    let mut set = vec![
        "kind = :kind",
        "#value = :value",
        "active = :active",
        "version = :next",
        "updated_at = :now",
    ];
    let mut values = HashMap::from([
        (":kind".to_owned(), to_attribute(&next.kind)?),
        (":value".to_owned(), number(next.value)),
        (
            ":active".to_owned(),
            aws_sdk_dynamodb::types::AttributeValue::Bool(next.active),
        ),
        (":next".to_owned(), number(next.version)),
        (":now".to_owned(), number(next.updated_at)),
        (":before".to_owned(), number(before)),
    ]);
    let optional = [
        ("min_subtotal_cents", next.min_subtotal_cents),
        ("starts_at", next.starts_at),
        ("ends_at", next.ends_at),
        ("max_redemptions", next.max_redemptions),
        ("max_per_customer", next.max_per_customer),
    ];
    let mut assignments = Vec::new();
    for (name, value) in optional {
        if let Some(value) = value {
            assignments.push(format!("{name} = :{name}"));
            values.insert(format!(":{name}"), number(value));
        }
    }
    set.extend(assignments.iter().map(String::as_str));
    let update = table
        .update_of(&next.pk, &next.sk)
        .update_expression(format!("SET {}", set.join(", ")))
        .condition_expression("version = :before")
        .expression_attribute_names("#value", "value")
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(ApiError::internal)?;
    let mut shown = next.clone();
    shown.redemptions = current.redemptions;
    let writes = vec![
        TransactWriteItem::builder().update(update).build(),
        act.put(
            table,
            "discount",
            &next.code,
            Some(current),
            Some(&shown),
            next.updated_at,
        )?,
    ];
    crate::db::transact_if(table, writes, None).await
}

fn to_attribute<T: serde::Serialize>(
    value: &T,
) -> Result<aws_sdk_dynamodb::types::AttributeValue, ApiError> {
    serde_dynamo::to_attribute_value(value).map_err(ApiError::internal)
}

/// Up to `limit` codes after `start`, newest first.
pub async fn list(
    table: &Table,
    limit: usize,
    start: Option<Position>,
) -> Result<(Vec<DiscountItem>, Option<Position>), ApiError> {
    let (items, next) = newest_first(table, Index::Gsi1, keys::LISTING, limit, start).await?;
    let codes = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
    Ok((codes, next))
}

/// The two writes that count an order's redemption of `code` (as priced, at its version) for
/// `customer`: the code's count, below its `max_redemptions`, and the customer's, below
/// `max_per_customer`. Either condition failing cancels the order's transaction.
pub fn redeem(
    table: &Table,
    code: &DiscountItem,
    customer: &str,
) -> Result<[TransactWriteItem; 2], ApiError> {
    let total = table
        .update_of(&code.pk, &code.sk)
        .update_expression("ADD redemptions :one")
        .condition_expression(
            "version = :version AND (attribute_not_exists(max_redemptions) OR redemptions < max_redemptions)",
        )
        .expression_attribute_values(":one", number(1))
        .expression_attribute_values(":version", number(code.version))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(ApiError::internal)?;
    let mine = table
        .update_of(&code.pk, keys::usage(customer))
        .update_expression("ADD #count :one")
        .condition_expression("attribute_not_exists(#count) OR #count < :max")
        .expression_attribute_names("#count", "count")
        .expression_attribute_values(":one", number(1))
        .expression_attribute_values(":max", number(code.max_per_customer.unwrap_or(i64::MAX)))
        .build()
        .map_err(ApiError::internal)?;
    Ok([
        TransactWriteItem::builder().update(total).build(),
        TransactWriteItem::builder().update(mine).build(),
    ])
}

/// The two writes that give an order's redemption back, in the transaction that cancels or
/// expires it (whose condition on the order's status makes it happen once).
pub fn give_back(
    table: &Table,
    code: &str,
    customer: &str,
) -> Result<[TransactWriteItem; 2], ApiError> {
    let update = |sk: String, attribute: &str| {
        table
            .update_of(keys::discount(code), sk)
            .update_expression("ADD #count :minus_one")
            .expression_attribute_names("#count", attribute)
            .expression_attribute_values(":minus_one", number(-1))
            .build()
            .map_err(ApiError::internal)
    };
    Ok([
        TransactWriteItem::builder()
            .update(update(keys::DISCOUNT_SK.to_owned(), "redemptions")?)
            .build(),
        TransactWriteItem::builder()
            .update(update(keys::usage(customer), "count")?)
            .build(),
    ])
}
