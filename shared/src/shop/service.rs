//! The shop's settings, as admins set them and checkouts read them. A checkout's read is
//! served from a snapshot kept in the process for `SETTINGS_CACHE_SECONDS`: one query of the
//! settings' partition now and then, not a read per checkout; a change takes at most that
//! long to reach every checkout.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::model::{Items, NewTaxRate, NewZone, Settings, Slug, Snapshot, TaxRate, Zone};
use super::regions::Region;
use super::repo::{self, ZoneWrite};
use crate::audit::Act;
use crate::auth::Principal;
use crate::config::Config;
use crate::db::Table;
use crate::error::{ApiError, ErrorCode};

/// A snapshot and when it was read.
type Cached = Option<(Instant, Arc<Snapshot>)>;

/// The settings service.
#[derive(Debug, Clone)]
pub struct Shop {
    table: Table,
    fresh_for: Duration,
    cached: Arc<Mutex<Cached>>,
}

/// Whether a `PUT` made its resource or replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Created,
    Replaced,
}

impl Shop {
    pub fn new(table: Table, config: &Config) -> Self {
        Self {
            table,
            fresh_for: Duration::from_secs(config.settings_cache_secs.unsigned_abs()),
            cached: Arc::default(),
        }
    }

    /// The settings a checkout prices with: the snapshot read at most `fresh_for` ago.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>, ApiError> {
        if let Ok(cached) = self.cached.lock()
            && let Some((read_at, snapshot)) = cached.as_ref()
            && read_at.elapsed() < self.fresh_for
        {
            return Ok(snapshot.clone());
        }
        let (snapshot, _) = repo::read(&self.table).await?;
        let snapshot = Arc::new(snapshot);
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((Instant::now(), snapshot.clone()));
        }
        Ok(snapshot)
    }

    /// `GET /admin/shipping-zones`: every zone, by id.
    pub async fn zones(&self, principal: &Principal) -> Result<Items<Zone>, ApiError> {
        principal.require_admin()?;
        let (snapshot, _) = repo::read(&self.table).await?;
        Ok(Items {
            items: snapshot.zones,
        })
    }

    /// `PUT /admin/shipping-zones/{zone_id}`: the zone made or replaced whole. A region that
    /// another zone ships to is `409`, naming both.
    pub async fn put_zone(
        &self,
        principal: &Principal,
        id: &Slug,
        new: NewZone,
        now: i64,
    ) -> Result<(Put, Zone), ApiError> {
        principal.require_admin()?;
        new.check()?;
        let zone = Zone::new(id, new);
        let mut tries = crate::db::Contention::new();
        loop {
            let (snapshot, versions) = repo::read(&self.table).await?;
            let current = snapshot.zones.iter().find(|z| z.id == zone.id);
            let version = current
                .and_then(|z| versions.get(&z.id).copied())
                .unwrap_or(0);
            // Known before the write, this names the other zone without a failed transaction.
            if let Some((region, other)) = taken(&snapshot, &zone) {
                return Err(region_taken(&region, &other));
            }
            let put = if current.is_some() {
                Put::Replaced
            } else {
                Put::Created
            };
            let act = Act::new(principal, "shipping_zone.put");
            let was = current.map(|z| (z, version));
            match repo::put_zone(&self.table, &zone, was, act, now).await? {
                ZoneWrite::Done => return Ok((put, zone)),
                ZoneWrite::Taken(region, other) => return Err(region_taken(&region, &other)),
                ZoneWrite::Raced if tries.lost().await => {}
                ZoneWrite::Raced => {
                    return Err(ApiError::unavailable("the shipping zones kept changing"));
                }
            }
        }
    }

    /// `DELETE /admin/shipping-zones/{zone_id}`: the zone gone, its regions free.
    pub async fn delete_zone(
        &self,
        principal: &Principal,
        id: &Slug,
        now: i64,
    ) -> Result<(), ApiError> {
        principal.require_admin()?;
        let mut tries = crate::db::Contention::new();
        loop {
            let (snapshot, versions) = repo::read(&self.table).await?;
            let Some(zone) = snapshot.zones.iter().find(|z| z.id == id.as_str()) else {
                return Err(ApiError::NotFound);
            };
            let version = versions.get(&zone.id).copied().unwrap_or(0);
            let act = Act::new(principal, "shipping_zone.delete");
            if repo::delete_zone(&self.table, zone, version, act, now).await? {
                return Ok(());
            }
            if !tries.lost().await {
                return Err(ApiError::unavailable("the shipping zone kept changing"));
            }
        }
    }

    /// `GET /admin/tax-rates`: every rate, by region.
    pub async fn rates(&self, principal: &Principal) -> Result<Items<TaxRate>, ApiError> {
        principal.require_admin()?;
        let (snapshot, _) = repo::read(&self.table).await?;
        Ok(Items {
            items: snapshot
                .rates
                .into_iter()
                .map(|(region, rate_bps)| TaxRate { region, rate_bps })
                .collect(),
        })
    }

    /// `PUT /admin/tax-rates/{region}`.
    pub async fn put_rate(
        &self,
        principal: &Principal,
        region: &Region,
        new: NewTaxRate,
        now: i64,
    ) -> Result<TaxRate, ApiError> {
        principal.require_admin()?;
        let rate = TaxRate {
            region: region.as_str().to_owned(),
            rate_bps: new.rate_bps.get(),
        };
        let (snapshot, _) = repo::read(&self.table).await?;
        let before = snapshot.rates.get(region.as_str()).copied();
        let act = Act::new(principal, "tax_rate.put");
        repo::put_rate(&self.table, &rate, before, act, now).await?;
        Ok(rate)
    }

    /// `DELETE /admin/tax-rates/{region}`: `404` when the region has no rate.
    pub async fn delete_rate(
        &self,
        principal: &Principal,
        region: &Region,
        now: i64,
    ) -> Result<(), ApiError> {
        principal.require_admin()?;
        let (snapshot, _) = repo::read(&self.table).await?;
        let before = snapshot.rates.get(region.as_str()).copied();
        let act = Act::new(principal, "tax_rate.delete");
        if repo::delete_rate(&self.table, region.as_str(), before, act, now).await? {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    }

    /// `PUT /admin/settings`.
    pub async fn put_settings(
        &self,
        principal: &Principal,
        settings: Settings,
        now: i64,
    ) -> Result<Settings, ApiError> {
        principal.require_admin()?;
        let (snapshot, _) = repo::read(&self.table).await?;
        let act = Act::new(principal, "settings.put");
        repo::put_settings(&self.table, settings, snapshot.settings, act, now).await?;
        Ok(settings)
    }
}

/// A region of `zone` that another zone of `snapshot` ships to, and that zone's id.
fn taken(snapshot: &Snapshot, zone: &Zone) -> Option<(String, String)> {
    snapshot
        .zones
        .iter()
        .filter(|other| other.id != zone.id)
        .find_map(|other| {
            zone.regions
                .iter()
                .find(|r| other.regions.contains(r))
                .map(|r| (r.clone(), other.id.clone()))
        })
}

fn region_taken(region: &str, other: &str) -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::Conflict,
        detail: format!("{region} is in shipping zone {other}; a region is in one zone at most."),
    }
}
