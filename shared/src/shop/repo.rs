//! The settings' DynamoDB access. Every setting lives in the one partition `SHOP`, so a
//! checkout reads them all with one query:
//!
//! | item | pk | sk |
//! |---|---|---|
//! | a shipping zone | `SHOP` | `ZONE#<id>` |
//! | a region's claim by its zone | `SHOP` | `REGION#<code>` |
//! | a tax rate | `SHOP` | `TAX#<region>` |
//! | the settings | `SHOP` | `SETTINGS` |
//!
//! A region belongs to at most one zone: a zone's write claims each region it adds and frees
//! each it drops in its own transaction, each claim conditional on being free or the zone's.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::model::{Settings, Snapshot, TaxRate, Zone};
use crate::audit::Act;
use crate::db::{Item, Table, from_item, number, string, to_item, transact};
use crate::error::ApiError;

pub const PK: &str = "SHOP";
const SETTINGS_SK: &str = "SETTINGS";

fn zone_sk(id: &str) -> String {
    format!("ZONE#{id}")
}

fn region_sk(code: &str) -> String {
    format!("REGION#{code}")
}

fn tax_sk(region: &str) -> String {
    format!("TAX#{region}")
}

/// A zone as stored: the zone and the version its writes are conditional on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ZoneItem {
    pub pk: String,
    pub sk: String,
    pub id: String,
    pub name: String,
    pub regions: Vec<String>,
    pub methods: Vec<super::model::Method>,
    pub version: i64,
    pub updated_at: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claim {
    pk: String,
    sk: String,
    zone_id: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct RateItem {
    pk: String,
    sk: String,
    region: String,
    rate_bps: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct SettingsItem {
    pk: String,
    sk: String,
    prices_include_tax: bool,
}

/// Every setting, strongly consistent, and each zone's version.
pub async fn read(table: &Table) -> Result<(Snapshot, BTreeMap<String, i64>), ApiError> {
    let mut snapshot = Snapshot::default();
    let mut versions = BTreeMap::new();
    let mut start: Option<Item> = None;
    loop {
        let page = table
            .client
            .query()
            .table_name(&table.name)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", string(PK))
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await?;
        for item in page.items.unwrap_or_default() {
            let sk = item.get("sk").and_then(|v| v.as_s().ok()).cloned();
            match sk.as_deref() {
                Some(sk) if sk.starts_with("ZONE#") => {
                    let item: ZoneItem = from_item(item)?;
                    versions.insert(item.id.clone(), item.version);
                    snapshot.zones.push(Zone {
                        id: item.id,
                        name: item.name,
                        regions: item.regions,
                        methods: item.methods,
                    });
                }
                Some(sk) if sk.starts_with("TAX#") => {
                    let rate: RateItem = from_item(item)?;
                    snapshot.rates.insert(rate.region, rate.rate_bps);
                }
                Some(SETTINGS_SK) => {
                    let item: SettingsItem = from_item(item)?;
                    snapshot.settings.prices_include_tax = item.prices_include_tax;
                }
                _ => {}
            }
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok((snapshot, versions)),
        }
    }
}

/// How a zone's write ended.
#[derive(Debug)]
pub enum ZoneWrite {
    Done,
    /// The zone changed since it was read: read it again.
    Raced,
    /// A region is another zone's: (region, that zone's id).
    Taken(String, String),
}

/// Writes `zone` over `current` (as read, with its version; `None`: a new zone), claiming the
/// regions it adds and freeing those it drops, all or nothing.
pub async fn put_zone(
    table: &Table,
    zone: &Zone,
    current: Option<(&Zone, i64)>,
    act: Act<'_>,
    now: i64,
) -> Result<ZoneWrite, ApiError> {
    let version = current.map_or(0, |(_, v)| v);
    let item = ZoneItem {
        pk: PK.to_owned(),
        sk: zone_sk(&zone.id),
        id: zone.id.clone(),
        name: zone.name.clone(),
        regions: zone.regions.clone(),
        methods: zone.methods.clone(),
        version: version + 1,
        updated_at: now,
    };
    let condition = if current.is_some() {
        "version = :version"
    } else {
        "attribute_not_exists(pk)"
    };
    let put = aws_sdk_dynamodb::types::Put::builder()
        .table_name(&table.name)
        .set_item(Some(to_item(&item)?))
        .condition_expression(condition);
    let put = if current.is_some() {
        put.expression_attribute_values(":version", number(version))
    } else {
        put
    };
    let mut writes = vec![
        TransactWriteItem::builder()
            .put(put.build().map_err(ApiError::internal)?)
            .build(),
    ];
    let before: Vec<&String> = current
        .map(|(z, _)| z.regions.iter().collect())
        .unwrap_or_default();
    let added: Vec<&String> = zone
        .regions
        .iter()
        .filter(|r| !before.contains(r))
        .collect();
    for region in &added {
        let claim = Claim {
            pk: PK.to_owned(),
            sk: region_sk(region),
            zone_id: zone.id.clone(),
        };
        let put = aws_sdk_dynamodb::types::Put::builder()
            .table_name(&table.name)
            .set_item(Some(to_item(&claim)?))
            .condition_expression("attribute_not_exists(pk) OR zone_id = :zone")
            .expression_attribute_values(":zone", string(&zone.id))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(ApiError::internal)?;
        writes.push(TransactWriteItem::builder().put(put).build());
    }
    for region in before.iter().filter(|r| !zone.regions.contains(r)) {
        writes.push(free(table, region, &zone.id)?);
    }
    let was = current.map(|(z, _)| z);
    writes.push(act.put(table, "shipping_zone", &zone.id, was, Some(zone), now)?);
    match transact(table, writes, None).await {
        Ok(()) => Ok(ZoneWrite::Done),
        Err(err) => {
            if crate::db::condition_failed_at(&err, 0) {
                return Ok(ZoneWrite::Raced);
            }
            for (offset, region) in added.iter().enumerate() {
                if crate::db::condition_failed_at(&err, offset + 1) {
                    let owner = crate::db::cancelled_item(&err, offset + 1)
                        .and_then(|item| from_item::<Claim>(item).ok())
                        .map(|claim| claim.zone_id)
                        .unwrap_or_default();
                    return Ok(ZoneWrite::Taken((*region).clone(), owner));
                }
            }
            if crate::db::any_condition_failed(&err) {
                // A dropped region no longer the zone's: the zone changed meanwhile.
                return Ok(ZoneWrite::Raced);
            }
            Err(crate::db::transaction_failed(err))
        }
    }
}

/// The delete of `region`'s claim, if it is still `zone_id`'s.
fn free(table: &Table, region: &str, zone_id: &str) -> Result<TransactWriteItem, ApiError> {
    let delete = table
        .delete_of(PK, region_sk(region))
        .condition_expression("zone_id = :zone")
        .expression_attribute_values(":zone", string(zone_id))
        .build()
        .map_err(ApiError::internal)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// Deletes `zone` (at `version`) and frees its regions. `false`: it changed since it was read.
pub async fn delete_zone(
    table: &Table,
    zone: &Zone,
    version: i64,
    act: Act<'_>,
    now: i64,
) -> Result<bool, ApiError> {
    let delete = table
        .delete_of(PK, zone_sk(&zone.id))
        .condition_expression("version = :version")
        .expression_attribute_values(":version", number(version))
        .build()
        .map_err(ApiError::internal)?;
    let mut writes = vec![TransactWriteItem::builder().delete(delete).build()];
    for region in &zone.regions {
        writes.push(free(table, region, &zone.id)?);
    }
    writes.push(act.put(
        table,
        "shipping_zone",
        &zone.id,
        Some(zone),
        None::<&()>,
        now,
    )?);
    crate::db::transact_if(table, writes, None).await
}

/// Sets the tax rate of a region (it had `before`), with `act`'s entry in the audit log.
pub async fn put_rate(
    table: &Table,
    rate: &TaxRate,
    before: Option<i64>,
    act: Act<'_>,
    now: i64,
) -> Result<(), ApiError> {
    let item = RateItem {
        pk: PK.to_owned(),
        sk: tax_sk(&rate.region),
        region: rate.region.clone(),
        rate_bps: rate.rate_bps,
    };
    let was = before.map(|rate_bps| serde_json::json!({ "rate_bps": rate_bps }));
    let now_is = serde_json::json!({ "rate_bps": rate.rate_bps });
    let writes = vec![
        crate::db::put(table, &item)?,
        act.put(
            table,
            "tax_rate",
            &rate.region,
            was.as_ref(),
            Some(&now_is),
            now,
        )?,
    ];
    transact(table, writes, None)
        .await
        .map_err(crate::db::transaction_failed)
}

/// Deletes a region's tax rate (`before`), with `act`'s entry. `false`: it had none.
pub async fn delete_rate(
    table: &Table,
    region: &str,
    before: Option<i64>,
    act: Act<'_>,
    now: i64,
) -> Result<bool, ApiError> {
    let delete = table
        .delete_of(PK, tax_sk(region))
        .condition_expression("attribute_exists(pk)")
        .build()
        .map_err(ApiError::internal)?;
    let was = before.map(|rate_bps| serde_json::json!({ "rate_bps": rate_bps }));
    let writes = vec![
        TransactWriteItem::builder().delete(delete).build(),
        act.put(table, "tax_rate", region, was.as_ref(), None::<&()>, now)?,
    ];
    crate::db::transact_if(table, writes, None).await
}

/// Stores the settings (they were `before`), with `act`'s entry in the audit log.
pub async fn put_settings(
    table: &Table,
    settings: Settings,
    before: Settings,
    act: Act<'_>,
    now: i64,
) -> Result<(), ApiError> {
    let item = SettingsItem {
        pk: PK.to_owned(),
        sk: SETTINGS_SK.to_owned(),
        prices_include_tax: settings.prices_include_tax,
    };
    let was = serde_json::json!({ "prices_include_tax": before.prices_include_tax });
    let now_is = serde_json::json!({ "prices_include_tax": settings.prices_include_tax });
    let writes = vec![
        crate::db::put(table, &item)?,
        act.put(table, "settings", "shop", Some(&was), Some(&now_is), now)?,
    ];
    transact(table, writes, None)
        .await
        .map_err(crate::db::transaction_failed)
}
