//! The shop's settings: shipping zones with their methods, tax rates by region, whether prices
//! include tax. The admin routes' bodies (valid by construction), the stored items, their
//! views, and [`Snapshot`]: all of them as one checkout reads them, with the pure lookups a
//! quote makes (which zone, which method, which rate).

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::regions::Region;
use crate::catalog::model::Cents;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::pricing::Shipping;
use crate::values::{parsed_from_text, whole_number_in};

/// At most this many regions a zone: its transaction claims each new one and frees each one
/// it drops (with the zone itself, at most 100 writes).
pub const MAX_REGIONS: usize = 45;
/// At most this many shipping methods a zone.
pub const MAX_METHODS: usize = 10;

/// The id of a zone or a method: 1–64 characters of `a-z`, `0-9` and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be 1-64 characters of a-z, 0-9 and '-'")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
parsed_from_text!(Slug);

impl std::str::FromStr for Slug {
    type Err = &'static str;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

/// A name staff give a zone or a method: 1–100 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Label(String);

impl Label {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        crate::text::single_line(raw, 100).map(Self)
    }
}
parsed_from_text!(Label);

/// A tax rate in basis points: 0–10,000 (0 % to 100 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBps(i64);

whole_number_in!(RateBps, 0, 10_000);

/// A shipping method as a zone's body gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMethod {
    pub id: Slug,
    pub name: Label,
    pub price_cents: Cents,
    #[serde(default)]
    pub per_kg_cents: Option<Cents>,
    #[serde(default)]
    pub free_over_cents: Option<Cents>,
}

/// `PUT /admin/shipping-zones/{zone_id}`'s body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewZone {
    pub name: Label,
    pub regions: Vec<Region>,
    pub methods: Vec<NewMethod>,
}

impl crate::http::Input for NewZone {
    const REQUIRED: &'static [&'static str] = &["name", "regions", "methods"];
}

impl NewZone {
    /// 1 to [`MAX_REGIONS`] regions and 1 to [`MAX_METHODS`] methods, none twice.
    pub fn check(&self) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        if self.regions.is_empty() || self.regions.len() > MAX_REGIONS {
            errors.push(FieldError::new("regions", "must have 1 to 45 regions"));
        }
        let mut seen = HashSet::new();
        for (index, region) in self.regions.iter().enumerate() {
            if !seen.insert(region) {
                errors.push(FieldError::new(
                    format!("regions[{index}]"),
                    "is listed twice",
                ));
            }
        }
        if self.methods.is_empty() || self.methods.len() > MAX_METHODS {
            errors.push(FieldError::new("methods", "must have 1 to 10 methods"));
        }
        let mut ids = HashSet::new();
        for (index, method) in self.methods.iter().enumerate() {
            if !ids.insert(&method.id) {
                errors.push(FieldError::new(
                    format!("methods[{index}].id"),
                    "is the id of another method of this zone",
                ));
            }
        }
        ApiError::unless_invalid(errors)
    }
}

/// `PUT /admin/tax-rates/{region}`'s body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTaxRate {
    pub rate_bps: RateBps,
}

impl crate::http::Input for NewTaxRate {
    const REQUIRED: &'static [&'static str] = &["rate_bps"];
}

/// `PUT /admin/settings`'s body, and the settings as shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub prices_include_tax: bool,
}

impl crate::http::Input for Settings {
    const REQUIRED: &'static [&'static str] = &["prices_include_tax"];
}

/// A shipping method, stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Method {
    pub id: String,
    pub name: String,
    pub price_cents: i64,
    #[serde(default)]
    pub per_kg_cents: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_over_cents: Option<i64>,
}

impl Method {
    /// What the method charges, for the pricing function.
    pub fn shipping(&self) -> Shipping {
        Shipping {
            price_cents: self.price_cents,
            per_kg_cents: self.per_kg_cents,
            free_over_cents: self.free_over_cents,
        }
    }
}

impl From<NewMethod> for Method {
    fn from(new: NewMethod) -> Self {
        Self {
            id: new.id.0,
            name: new.name.0,
            price_cents: new.price_cents.get(),
            per_kg_cents: new.per_kg_cents.map_or(0, Cents::get),
            free_over_cents: new.free_over_cents.map(Cents::get),
        }
    }
}

/// A shipping zone, as `GET /admin/shipping-zones` shows it and the table holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    pub id: String,
    pub name: String,
    pub regions: Vec<String>,
    pub methods: Vec<Method>,
}

impl Zone {
    pub fn new(id: &Slug, zone: NewZone) -> Self {
        Self {
            id: id.0.clone(),
            name: zone.name.0,
            regions: zone
                .regions
                .into_iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            methods: zone.methods.into_iter().map(Method::from).collect(),
        }
    }
}

/// A tax rate, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRate {
    pub region: String,
    pub rate_bps: i64,
}

/// `{"items": [...]}`, as the settings' lists answer (never paged: a shop has few).
#[derive(Debug, Serialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// A method that ships to an address, as a quote lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MethodOffer {
    pub id: String,
    pub name: String,
    pub price_cents: i64,
}

/// Every setting a checkout prices with, as read at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub zones: Vec<Zone>,
    pub rates: BTreeMap<String, i64>,
    pub settings: Settings,
}

/// How an address is shipped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// No zone is set up: shipping is free and needs no method.
    Free,
    /// By this method.
    By(Method),
}

impl Snapshot {
    /// The zone that ships to `region`: the one naming the region itself, else its country.
    pub fn zone_for(&self, region: &Region) -> Option<&Zone> {
        let named = |code: &str| {
            self.zones
                .iter()
                .find(|z| z.regions.iter().any(|r| r == code))
        };
        named(region.as_str()).or_else(|| named(region.country().as_str()))
    }

    /// The tax rate of `region`: its own, else its country's, else none.
    pub fn rate_for(&self, region: &Region) -> i64 {
        self.rates
            .get(region.as_str())
            .or_else(|| self.rates.get(region.country().as_str()))
            .copied()
            .unwrap_or(0)
    }

    /// The methods that ship to `region`, cheapest first; `None` while no zone exists.
    pub fn offers(&self, region: &Region) -> Option<Vec<MethodOffer>> {
        if self.zones.is_empty() {
            return None;
        }
        let mut offers: Vec<MethodOffer> = self
            .zone_for(region)
            .map(|zone| {
                zone.methods
                    .iter()
                    .map(|m| MethodOffer {
                        id: m.id.clone(),
                        name: m.name.clone(),
                        price_cents: m.price_cents,
                    })
                    .collect()
            })
            .unwrap_or_default();
        offers.sort_by(|a, b| a.price_cents.cmp(&b.price_cents).then(a.id.cmp(&b.id)));
        Some(offers)
    }

    /// How an order to `region` ships: by `wanted`, or by the cheapest method that ships
    /// there; free while no zone exists. `422 shipping_unavailable` when nothing ships there
    /// or `wanted` does not.
    pub fn delivery(&self, region: &Region, wanted: Option<&str>) -> Result<Delivery, ApiError> {
        if self.zones.is_empty() {
            return match wanted {
                None => Ok(Delivery::Free),
                Some(id) => Err(unavailable(format!(
                    "No shipping method {id} exists: the shop ships for free."
                ))),
            };
        }
        let Some(zone) = self.zone_for(region) else {
            return Err(unavailable(format!(
                "The shop does not ship to {}.",
                region.as_str()
            )));
        };
        let chosen = match wanted {
            Some(id) => zone.methods.iter().find(|m| m.id == id).ok_or_else(|| {
                unavailable(format!(
                    "Shipping method {id} does not ship to {}.",
                    region.as_str()
                ))
            })?,
            None => zone
                .methods
                .iter()
                .min_by(|a, b| a.price_cents.cmp(&b.price_cents).then(a.id.cmp(&b.id)))
                .ok_or_else(|| unavailable("The zone has no shipping method.".to_owned()))?,
        };
        Ok(Delivery::By(chosen.clone()))
    }
}

fn unavailable(detail: String) -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::ShippingUnavailable,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str) -> Region {
        Region::parse(code).unwrap()
    }

    fn method(id: &str, price: i64) -> Method {
        Method {
            id: id.to_owned(),
            name: id.to_owned(),
            price_cents: price,
            per_kg_cents: 0,
            free_over_cents: None,
        }
    }

    fn shop() -> Snapshot {
        Snapshot {
            zones: vec![
                Zone {
                    id: "us".into(),
                    name: "US".into(),
                    regions: vec!["US".into()],
                    methods: vec![method("ground", 800), method("economy", 500)],
                },
                Zone {
                    id: "west".into(),
                    name: "California".into(),
                    regions: vec!["US-CA".into()],
                    methods: vec![method("courier", 1200)],
                },
            ],
            rates: BTreeMap::from([("US".into(), 500), ("US-CA".into(), 725)]),
            settings: Settings::default(),
        }
    }

    #[test]
    fn the_most_specific_region_decides_the_zone_and_the_rate() {
        let shop = shop();
        assert_eq!(
            shop.zone_for(&region("US-CA")).map(|z| z.id.as_str()),
            Some("west")
        );
        assert_eq!(
            shop.zone_for(&region("US-NY")).map(|z| z.id.as_str()),
            Some("us")
        );
        assert!(shop.zone_for(&region("DE")).is_none());
        assert_eq!(shop.rate_for(&region("US-CA")), 725);
        assert_eq!(shop.rate_for(&region("US-NY")), 500);
        assert_eq!(shop.rate_for(&region("DE")), 0);
    }

    #[test]
    fn the_cheapest_method_ships_unless_one_is_chosen_and_nowhere_else_is_refused() {
        let shop = shop();
        let by = |r: &str, wanted| match shop.delivery(&region(r), wanted) {
            Ok(Delivery::By(m)) => Ok(m.id),
            Ok(Delivery::Free) => Ok("free".into()),
            Err(err) => Err(err.code()),
        };
        assert_eq!(by("US-NY", None), Ok("economy".into()));
        assert_eq!(by("US-NY", Some("ground")), Ok("ground".into()));
        assert_eq!(
            by("US-NY", Some("courier")),
            Err(ErrorCode::ShippingUnavailable)
        );
        assert_eq!(by("DE", None), Err(ErrorCode::ShippingUnavailable));
        let offers = shop.offers(&region("US-TX")).unwrap();
        assert_eq!(
            offers.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
            ["economy", "ground"]
        );
        assert_eq!(shop.offers(&region("DE")), Some(vec![]));
        let free = Snapshot::default();
        assert!(matches!(
            free.delivery(&region("DE"), None),
            Ok(Delivery::Free)
        ));
        assert!(free.delivery(&region("DE"), Some("ground")).is_err());
        assert_eq!(free.offers(&region("DE")), None);
    }

    #[test]
    fn a_zone_names_each_region_and_method_once() {
        let zone: NewZone = serde_json::from_str(
            r#"{"name": "EU", "regions": ["DE", "de", "FR"],
                "methods": [{"id": "std", "name": "Standard", "price_cents": 490},
                            {"id": "std", "name": "Again", "price_cents": 990}]}"#,
        )
        .unwrap();
        let Err(ApiError::Validation(errors)) = zone.check() else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["regions[1]", "methods[1].id"]);
    }
}
