//! Variants: what is stocked and sold (a size, a colour). The values a request gives (valid by
//! construction), the variant as stored in its product and as shown, and the rules of options
//! and combinations, as pure functions of the product read.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::model::{Cents, Sku, Stock};
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::ids::Id;
use crate::values::{parsed_from_text, whole_number_in};

/// The most options a product declares.
pub const MAX_OPTIONS: usize = 3;
/// The most values one option has.
pub const MAX_VALUES: usize = 50;
/// The most variants a product has, retired ones included.
pub const MAX_VARIANTS: usize = 100;
/// The most variants `POST /products` creates with its product: each is its product's entry,
/// its SKU, its id and its first movement in the one transaction (100 writes at most), with
/// room for what else the transaction carries.
pub const MAX_NEW_VARIANTS: usize = 30;

/// An option's name or one of its values: 1–50 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct OptionText(String);

impl OptionText {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        crate::text::single_line(raw, 50).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
parsed_from_text!(OptionText);

/// A weight in grams: 0–1,000,000 (a tonne).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grams(i64);

whole_number_in!(Grams, 0, 1_000_000);

/// An option a product declares: `{"name": "Size", "values": ["S", "M", "L"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductOption {
    pub name: OptionText,
    pub values: Vec<OptionText>,
}

/// The values a variant picks, one of every option of its product, by option name.
pub type Choice = BTreeMap<OptionText, OptionText>;

/// A new variant: `POST /products/{id}/variants`, or one of `POST /products`' `variants`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVariant {
    pub sku: Option<Sku>,
    pub options: Option<Choice>,
    pub price_cents: Option<Cents>,
    pub stock: Option<Stock>,
    pub weight_grams: Option<Grams>,
    pub active: Option<bool>,
    pub image_id: Option<Id>,
}

impl crate::http::Input for NewVariant {
    const REQUIRED: &'static [&'static str] = &["sku", "options", "price_cents", "stock"];
}

/// `PATCH /products/{id}/variants/{variant_id}`: any of these. `stock` is read only to be
/// refused by name: stock changes only by movements.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantFields {
    pub sku: Option<Sku>,
    pub options: Option<Choice>,
    pub price_cents: Option<Cents>,
    pub weight_grams: Option<Grams>,
    pub active: Option<bool>,
    pub image_id: Option<Id>,
    pub stock: Option<serde::de::IgnoredAny>,
}

impl crate::http::Input for VariantFields {
    const REQUIRED: &'static [&'static str] = &[];
}

/// A variant as stored in its product's item, keyed there by its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantItem {
    pub id: String,
    pub sku: String,
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    pub price_cents: i64,
    pub stock: i64,
    #[serde(default)]
    pub weight_grams: i64,
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// How many movements its stock has had: the sequence number of the last one. Every
    /// change of stock is conditional on it, so the ledger's entries follow one another.
    #[serde(default)]
    pub movements: i64,
    pub created_at: i64,
}

/// A variant as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variant {
    pub id: String,
    pub sku: String,
    pub options: BTreeMap<String, String>,
    pub price_cents: i64,
    pub stock: i64,
    pub weight_grams: i64,
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
}

impl VariantItem {
    pub fn view(&self) -> Variant {
        Variant {
            id: self.id.clone(),
            sku: self.sku.clone(),
            options: self.options.clone(),
            price_cents: self.price_cents,
            stock: self.stock,
            weight_grams: self.weight_grams,
            active: self.active,
            image_id: self.image_id.clone(),
        }
    }

    /// The default variant of a product without options: no option values.
    pub fn is_default(&self) -> bool {
        self.options.is_empty()
    }
}

/// Options as a product may declare them: at most [`MAX_OPTIONS`], names unique (ignoring
/// case), each 1–[`MAX_VALUES`] values, unique within it. Every problem named.
pub fn check_options(options: &[ProductOption]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if options.len() > MAX_OPTIONS {
        errors.push(FieldError::new("options", "must have at most 3 options"));
    }
    let mut names = HashSet::new();
    for (i, option) in options.iter().enumerate() {
        if !names.insert(option.name.as_str().to_lowercase()) {
            errors.push(FieldError::new(
                format!("options[{i}].name"),
                "is declared twice",
            ));
        }
        if option.values.is_empty() || option.values.len() > MAX_VALUES {
            errors.push(FieldError::new(
                format!("options[{i}].values"),
                "must have 1 to 50 values",
            ));
        }
        let mut values = HashSet::new();
        for value in &option.values {
            if !values.insert(value.as_str()) {
                errors.push(FieldError::new(
                    format!("options[{i}].values"),
                    format!("lists {:?} twice", value.as_str()),
                ));
                break;
            }
        }
    }
    ApiError::unless_invalid(errors)
}

/// Whether `choice` picks exactly one declared value of every declared option; the first
/// problem, as a message for `field`.
pub fn check_choice(
    options: &[ProductOption],
    choice: &Choice,
    field: &str,
) -> Result<(), ApiError> {
    let refuse = |message: String| Err(ApiError::Validation(vec![FieldError::new(field, message)]));
    for name in choice.keys() {
        if !options.iter().any(|o| o.name == *name) {
            return refuse(format!(
                "names {:?}, which the product does not declare",
                name.as_str()
            ));
        }
    }
    for option in options {
        match choice.get(&option.name) {
            None => return refuse(format!("needs a value for {:?}", option.name.as_str())),
            Some(value) if !option.values.contains(value) => {
                return refuse(format!(
                    "{:?} is not a value of {:?}",
                    value.as_str(),
                    option.name.as_str()
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The stored form of a choice.
pub fn stored(choice: &Choice) -> BTreeMap<String, String> {
    choice
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.as_str().to_owned()))
        .collect()
}

/// `409 conflict` when another active variant (not `except`) picks the same values.
pub fn check_unique<'a>(
    variants: impl IntoIterator<Item = &'a VariantItem>,
    options: &BTreeMap<String, String>,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let taken = variants
        .into_iter()
        .any(|v| v.active && Some(v.id.as_str()) != except && v.options == *options);
    if taken {
        return Err(ApiError::Conflict {
            code: ErrorCode::Conflict,
            detail: "Another variant of this product has these option values.".to_owned(),
        });
    }
    Ok(())
}

/// Whether options may replace a product's: every active variant's values are still one
/// choice of them (a product whose only variant is its default one may take any options:
/// that variant is retired). `409 conflict` naming a variant that would be left without.
pub fn check_replacement(
    variants: &BTreeMap<String, VariantItem>,
    options: &[ProductOption],
) -> Result<(), ApiError> {
    for variant in variants.values().filter(|v| v.active && !v.is_default()) {
        let fits = options.len() == variant.options.len()
            && options.iter().all(|option| {
                variant
                    .options
                    .get(option.name.as_str())
                    .is_some_and(|value| option.values.iter().any(|v| v.as_str() == value))
            });
        if !fits {
            return Err(ApiError::Conflict {
                code: ErrorCode::Conflict,
                detail: format!(
                    "Variant {} ({}) has no value among these options; change or retire it first.",
                    variant.id, variant.sku
                ),
            });
        }
    }
    Ok(())
}

/// A product's price: its lowest active variant price (its lowest price when none is active).
pub fn lowest_price<'a>(variants: impl IntoIterator<Item = &'a VariantItem> + Clone) -> i64 {
    let active = variants
        .clone()
        .into_iter()
        .filter(|v| v.active)
        .map(|v| v.price_cents)
        .min();
    active
        .or_else(|| variants.into_iter().map(|v| v.price_cents).min())
        .unwrap_or(0)
}

/// A product's stock: the sum over its active variants.
pub fn total_stock<'a>(variants: impl IntoIterator<Item = &'a VariantItem>) -> i64 {
    variants
        .into_iter()
        .filter(|v| v.active)
        .map(|v| v.stock)
        .sum()
}

/// The one variant a `product_id` line buys: the product's only active variant. `None` when
/// it has several (or none).
pub fn only_variant(variants: &BTreeMap<String, VariantItem>) -> Option<&VariantItem> {
    let mut active = variants.values().filter(|v| v.active);
    match (active.next(), active.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> OptionText {
        OptionText::parse(s).unwrap()
    }

    fn option(name: &str, values: &[&str]) -> ProductOption {
        ProductOption {
            name: text(name),
            values: values.iter().map(|v| text(v)).collect(),
        }
    }

    fn variant(id: &str, options: &[(&str, &str)], price: i64, active: bool) -> VariantItem {
        VariantItem {
            id: id.to_owned(),
            sku: format!("SKU-{id}"),
            options: options
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            price_cents: price,
            stock: 3,
            weight_grams: 0,
            active,
            image_id: None,
            movements: 0,
            created_at: 0,
        }
    }

    #[test]
    fn options_are_at_most_three_with_unique_names_and_values() {
        assert!(check_options(&[option("Size", &["S", "M"]), option("Colour", &["Red"])]).is_ok());
        let too_many: Vec<_> = ["A", "B", "C", "D"]
            .iter()
            .map(|n| option(n, &["x"]))
            .collect();
        let Err(ApiError::Validation(errors)) = check_options(&too_many) else {
            panic!("four options are refused");
        };
        assert_eq!(errors[0].field, "options");
        let Err(ApiError::Validation(errors)) =
            check_options(&[option("Size", &["S", "S"]), option("size", &[])])
        else {
            panic!("duplicates are refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["options[0].values", "options[1].name", "options[1].values"]
        );
        let fifty_one: Vec<String> = (0..51).map(|i| i.to_string()).collect();
        let refs: Vec<&str> = fifty_one.iter().map(String::as_str).collect();
        assert!(check_options(&[option("N", &refs)]).is_err());
        assert!(check_options(&[option("N", &refs[..50])]).is_ok());
    }

    #[test]
    fn a_choice_picks_one_declared_value_of_every_option() {
        let options = [option("Size", &["S", "M"]), option("Colour", &["Red"])];
        let choice = |pairs: &[(&str, &str)]| -> Choice {
            pairs.iter().map(|(k, v)| (text(k), text(v))).collect()
        };
        assert!(
            check_choice(
                &options,
                &choice(&[("Size", "M"), ("Colour", "Red")]),
                "options"
            )
            .is_ok()
        );
        for (bad, says) in [
            (choice(&[("Size", "M")]), "needs a value for \"Colour\""),
            (
                choice(&[("Size", "XL"), ("Colour", "Red")]),
                "\"XL\" is not a value of \"Size\"",
            ),
            (
                choice(&[("Size", "M"), ("Colour", "Red"), ("Fit", "Slim")]),
                "\"Fit\", which the product does not declare",
            ),
        ] {
            let Err(ApiError::Validation(errors)) = check_choice(&options, &bad, "options") else {
                panic!("{bad:?} is refused");
            };
            assert!(errors[0].message.contains(says), "{}", errors[0].message);
        }
        assert!(check_choice(&[], &choice(&[]), "options").is_ok());
    }

    #[test]
    fn a_combination_is_taken_by_another_active_variant_only() {
        let a = variant("a", &[("Size", "M")], 100, true);
        let retired = variant("r", &[("Size", "L")], 100, false);
        let m = stored(&[(text("Size"), text("M"))].into_iter().collect());
        let l = stored(&[(text("Size"), text("L"))].into_iter().collect());
        assert!(check_unique([&a, &retired], &m, None).is_err());
        assert!(check_unique([&a, &retired], &m, Some("a")).is_ok());
        assert!(check_unique([&a, &retired], &l, None).is_ok());
    }

    #[test]
    fn new_options_must_still_fit_every_active_variant() {
        let variants: BTreeMap<String, VariantItem> = [
            variant("d", &[], 100, true),
            variant("m", &[("Size", "M")], 100, true),
            variant("x", &[("Size", "XL")], 100, false),
        ]
        .into_iter()
        .map(|v| (v.id.clone(), v))
        .collect();
        assert!(check_replacement(&variants, &[option("Size", &["S", "M"])]).is_ok());
        assert!(check_replacement(&variants, &[option("Size", &["S"])]).is_err());
        assert!(
            check_replacement(
                &variants,
                &[option("Size", &["M"]), option("Colour", &["Red"])]
            )
            .is_err()
        );
    }

    #[test]
    fn the_product_shows_its_lowest_active_price_and_its_active_stock() {
        let variants = [
            variant("a", &[("Size", "S")], 900, true),
            variant("b", &[("Size", "M")], 700, false),
            variant("c", &[("Size", "L")], 1200, true),
        ];
        assert_eq!(lowest_price(&variants), 900);
        assert_eq!(total_stock(&variants), 6);
        let retired = [variant("b", &[], 700, false), variant("z", &[], 500, false)];
        assert_eq!(lowest_price(&retired), 500);
        let by_id: BTreeMap<String, VariantItem> =
            variants.iter().map(|v| (v.id.clone(), v.clone())).collect();
        assert_eq!(only_variant(&by_id), None);
        let single: BTreeMap<String, VariantItem> = variants[..2]
            .iter()
            .map(|v| (v.id.clone(), v.clone()))
            .collect();
        assert_eq!(only_variant(&single).map(|v| v.id.as_str()), Some("a"));
    }
}
