//! Pages of an index partition: a listing's items after a position, and where the next page
//! starts (sealed into the cursor the client gets).

use std::collections::HashMap;

use super::{Index, Item, Table, string};
use crate::error::ApiError;

/// Where a newest-first listing continues: the table and index keys of its last item.
pub type Position = std::collections::BTreeMap<String, String>;

/// Up to `limit` items of one index partition, newest (highest sort key) first, after `start`,
/// and where the next page starts: see [`page_of`].
pub async fn newest_first(
    table: &Table,
    index: Index,
    partition: &str,
    limit: usize,
    start: Option<Position>,
) -> Result<(Vec<Item>, Option<Position>), ApiError> {
    let range = Range {
        index,
        partition,
        prefix: None,
        forward: false,
        only: None,
    };
    page_of(table, &range, limit, start).await
}

/// Which items of an index partition a page is read from, and in which order.
#[derive(Debug, Clone, Copy)]
pub struct Range<'a> {
    pub index: Index,
    pub partition: &'a str,
    /// The sort key starts with it.
    pub prefix: Option<&'a str>,
    /// In the sort key's order; else newest (highest) first.
    pub forward: bool,
    /// Only items whose attribute (the first) has the value (the second).
    pub only: Option<(&'a str, &'a str)>,
}

/// Up to `limit` items of `range` after `start`, and where the next page starts. A position that is not one of this listing's is `400 invalid_cursor`. One item
/// beyond the page tells whether there are more: a page with a cursor is never empty, the last
/// page never has one, whatever DynamoDB's own paging does.
pub async fn page_of(
    table: &Table,
    range: &Range<'_>,
    limit: usize,
    start: Option<Position>,
) -> Result<(Vec<Item>, Option<Position>), ApiError> {
    let Range {
        index,
        partition,
        prefix,
        forward,
        only,
    } = *range;
    let (pk_name, sk_name) = index.key_attributes();
    let key_names = ["pk", "sk", pk_name, sk_name];
    if let Some(position) = &start {
        let valid = position.len() == key_names.len()
            && key_names.iter().all(|k| position.contains_key(*k))
            && position.get(pk_name).map(String::as_str) == Some(partition)
            && prefix.is_none_or(|prefix| {
                position
                    .get(sk_name)
                    .is_some_and(|sk| sk.starts_with(prefix))
            });
        if !valid {
            return Err(ApiError::InvalidCursor);
        }
    }
    let mut items: Vec<Item> = Vec::new();
    let mut exclusive_start = start.map(|p| {
        p.into_iter()
            .map(|(k, v)| (k, string(v)))
            .collect::<HashMap<_, _>>()
    });
    while items.len() <= limit {
        let wanted = limit + 1 - items.len();
        let query = match prefix {
            Some(prefix) => table
                .query_partition(index, partition, None)
                .key_condition_expression(format!(
                    "{pk_name} = :pk AND begins_with({sk_name}, :prefix)"
                ))
                .expression_attribute_values(":prefix", string(prefix)),
            None => table.query_partition(index, partition, None),
        };
        let query = match only {
            Some((name, value)) => query
                .filter_expression("#only = :only")
                .expression_attribute_names("#only", name)
                .expression_attribute_values(":only", string(value)),
            None => query,
        };
        let output = query
            .scan_index_forward(forward)
            .limit(i32::try_from(wanted).unwrap_or(i32::MAX))
            .set_exclusive_start_key(exclusive_start.take())
            .send()
            .await?;
        items.extend(output.items.unwrap_or_default());
        match output.last_evaluated_key {
            Some(key) if items.len() <= limit => exclusive_start = Some(key),
            _ => break,
        }
    }
    if items.len() <= limit {
        return Ok((items, None));
    }
    items.truncate(limit);
    let next = items.last().map(|last| {
        key_names
            .iter()
            .filter_map(|name| {
                let value = last.get(*name)?.as_s().ok()?;
                Some(((*name).to_owned(), value.clone()))
            })
            .collect()
    });
    Ok((items, next))
}
