//! What an edit of the catalog makes of a product, as pure functions of the product read and
//! the fields given: the product after it (its stock aside), the stock it moves, the SKUs it
//! claims and gives up. The repository writes an [`Edit`] in one transaction, on the
//! condition that the product is still the version read.

use std::collections::BTreeMap;

use super::keys;
use super::model::{ProductFields, ProductItem};
use super::stock::{Change, Reason, Requires};
use super::variants::{
    self, Choice, MAX_NEW_VARIANTS, MAX_VARIANTS, NewVariant, VariantFields, VariantItem,
};
use crate::error::{ApiError, FieldError};
use crate::ids::Id;

/// A product as an edit leaves it, and what else the edit writes.
#[derive(Debug, Clone)]
pub struct Edit {
    pub after: ProductItem,
    /// Variants that are new: their whole entry is written, and their id claimed.
    pub new_variants: Vec<String>,
    /// Stock the edit moves (a new variant's first stock, a `count`), planned when written.
    pub stock: Vec<(Change, Requires)>,
    /// Variants that must hold no stock when written (a default variant retired).
    pub must_be_empty: Vec<String>,
    /// SKUs claimed (with the variant and the request's field that gives each).
    pub claimed: Vec<Claim>,
    /// SKUs given up.
    pub released: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub sku: String,
    pub variant_id: String,
    pub field: String,
}

impl Edit {
    pub fn of(after: ProductItem) -> Self {
        Self {
            after,
            new_variants: Vec::new(),
            stock: Vec::new(),
            must_be_empty: Vec::new(),
            claimed: Vec::new(),
            released: Vec::new(),
        }
    }

    /// A variant created with the product or added to it: its stock comes as its first
    /// movement, a `count`.
    fn add(&mut self, mut variant: VariantItem, stock: i64, field: String, actor: Option<&str>) {
        self.claimed.push(Claim {
            sku: variant.sku.clone(),
            variant_id: variant.id.clone(),
            field,
        });
        self.new_variants.push(variant.id.clone());
        if stock > 0 {
            self.stock.push((
                Change {
                    product_id: self.after.id.clone(),
                    variant_id: variant.id.clone(),
                    delta: stock,
                    reason: Reason::Count,
                    order_id: None,
                    actor_id: actor.map(str::to_owned),
                },
                Requires::Nothing,
            ));
        }
        // Its stock is written by the movement's plan, from nothing.
        variant.stock = 0;
        variant.movements = 0;
        self.after.variants.insert(variant.id.clone(), variant);
    }

    fn finish(mut self, now: i64) -> Self {
        // A product stored before variants keeps its price until the migration gives it one.
        if !self.after.variants.is_empty() {
            self.after.price_cents = variants::lowest_price(self.after.variants.values());
        }
        self.after.updated_at = now;
        self
    }
}

/// `400` naming each absent field (`absent` flags it), under `prefix` (`variants[2]`).
fn missing(prefix: &str, absent: &[(&str, bool)]) -> ApiError {
    let dot = if prefix.is_empty() { "" } else { "." };
    ApiError::Validation(
        FieldError::each(absent, "is required")
            .into_iter()
            .map(|e| FieldError::new(format!("{prefix}{dot}{}", e.field), e.message))
            .collect(),
    )
}

/// A new variant of `product` from `new` (its fields checked against the product's options),
/// named by `field` (`variants[2]`) in errors.
fn variant_from(
    product: &ProductItem,
    id: String,
    new: &NewVariant,
    field: &str,
    now: i64,
) -> Result<(VariantItem, i64), ApiError> {
    let (Some(sku), Some(choice), Some(price), Some(stock)) =
        (&new.sku, &new.options, new.price_cents, new.stock)
    else {
        return Err(missing(
            field,
            &[
                ("sku", new.sku.is_none()),
                ("options", new.options.is_none()),
                ("price_cents", new.price_cents.is_none()),
                ("stock", new.stock.is_none()),
            ],
        ));
    };
    let prefix = if field.is_empty() {
        String::new()
    } else {
        format!("{field}.")
    };
    variants::check_choice(&product.options, choice, &format!("{prefix}options"))?;
    if let Some(image) = &new.image_id {
        check_image(product, image, &format!("{prefix}image_id"))?;
    }
    let options = variants::stored(choice);
    variants::check_unique(product.variants.values(), &options, None)?;
    let variant = VariantItem {
        id,
        sku: sku.as_str().to_owned(),
        options,
        price_cents: price.get(),
        stock: stock.get(),
        weight_grams: new.weight_grams.map_or(0, |w| w.get()),
        active: new.active.unwrap_or(true),
        image_id: new.image_id.as_ref().map(|i| i.to_string()),
        movements: 0,
        created_at: now,
    };
    Ok((variant, stock.get()))
}

fn check_image(product: &ProductItem, image: &Id, field: &str) -> Result<(), ApiError> {
    if product.images.contains_key(image.as_str()) {
        Ok(())
    } else {
        Err(ApiError::validation(
            field,
            "is not an image of this product",
        ))
    }
}

/// `POST /products`: a product with the variants given, or with one default variant (its id
/// the product's) from the body's `sku`, `price_cents`, `stock` and `weight_grams`.
pub fn new_product(
    id: &Id,
    fields: ProductFields,
    currency: &str,
    actor: Option<&str>,
    now: i64,
) -> Result<Edit, ApiError> {
    let (Some(name), Some(category)) = (&fields.name, &fields.category) else {
        return Err(missing(
            "",
            &[
                ("name", fields.name.is_none()),
                ("category", fields.category.is_none()),
            ],
        ));
    };
    let options = fields.options.clone().unwrap_or_default();
    variants::check_options(&options)?;
    let id = id.to_string();
    let mut product = ProductItem {
        pk: keys::product(&id),
        sk: keys::PRODUCT_SK.to_owned(),
        id: id.clone(),
        name: name.as_str().to_owned(),
        description: fields
            .description
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        price_cents: 0,
        currency: currency.to_owned(),
        category: category.as_str().to_owned(),
        active: fields.active.unwrap_or(true),
        options,
        variants: BTreeMap::new(),
        images: BTreeMap::new(),
        created_at: now,
        updated_at: now,
        version: 1,
        gsi1pk: String::new(),
        gsi1sk: String::new(),
        gsi2pk: String::new(),
        gsi2sk: String::new(),
        gsi3pk: String::new(),
        gsi3sk: String::new(),
    };
    product.index();
    let mut edit = Edit::of(product);
    match &fields.variants {
        None => {
            if !edit.after.options.is_empty() {
                return Err(ApiError::validation(
                    "variants",
                    "are required with options: each picks a value of every option",
                ));
            }
            let default = NewVariant {
                sku: fields.sku.clone(),
                options: Some(Choice::new()),
                price_cents: fields.price_cents,
                stock: fields.stock,
                weight_grams: fields.weight_grams,
                active: Some(true),
                image_id: None,
            };
            let (variant, stock) = variant_from(&edit.after, id.clone(), &default, "", now)?;
            edit.add(variant, stock, "sku".to_owned(), actor);
        }
        Some(list) => {
            ApiError::unless_invalid(FieldError::each(
                &[
                    ("sku", fields.sku.is_some()),
                    ("price_cents", fields.price_cents.is_some()),
                    ("stock", fields.stock.is_some()),
                    ("weight_grams", fields.weight_grams.is_some()),
                ],
                "is given per variant when variants are",
            ))?;
            if list.is_empty() || list.len() > MAX_NEW_VARIANTS {
                return Err(ApiError::validation(
                    "variants",
                    "must have 1 to 30 variants (add more with POST /products/{id}/variants)",
                ));
            }
            for (i, new) in list.iter().enumerate() {
                let field = format!("variants[{i}]");
                let (variant, stock) =
                    variant_from(&edit.after, Id::new().to_string(), new, &field, now)?;
                if edit.claimed.iter().any(|c| c.sku == variant.sku) {
                    return Err(ApiError::validation(
                        format!("{field}.sku"),
                        "is given to another variant of this request",
                    ));
                }
                edit.add(variant, stock, format!("{field}.sku"), actor);
            }
        }
    }
    Ok(edit.finish(now))
}

/// The single-variant shorthand of a `PATCH` field: the product's one active variant, or
/// `400` naming the field.
fn only<'a>(product: &'a ProductItem, field: &str) -> Result<&'a VariantItem, ApiError> {
    variants::only_variant(&product.variants).ok_or_else(|| {
        ApiError::validation(
            field,
            "belongs to a variant: this product has several (or none); use its variant routes",
        )
    })
}

/// `PATCH /products/{id}`. `count` is the stock's change that the body's `stock` asks for,
/// computed once from the first read (so it is applied relative to the stock there is when
/// written, however often the write is tried).
pub fn update_product(
    current: &ProductItem,
    fields: &ProductFields,
    count: Option<i64>,
    actor: Option<&str>,
    now: i64,
) -> Result<Edit, ApiError> {
    if fields.variants.is_some() {
        return Err(ApiError::validation(
            "variants",
            "are added with POST /products/{id}/variants",
        ));
    }
    let mut edit = Edit::of(current.clone());
    let after = &mut edit.after;
    if let Some(name) = &fields.name {
        after.name = name.as_str().to_owned();
    }
    if let Some(description) = &fields.description {
        after.description = description.as_str().to_owned();
    }
    if let Some(category) = &fields.category {
        after.category = category.as_str().to_owned();
    }
    if let Some(active) = fields.active {
        after.active = active;
    }
    after.index();
    let shorthand = fields.sku.is_some()
        || fields.price_cents.is_some()
        || fields.weight_grams.is_some()
        || fields.stock.is_some();
    if shorthand {
        let field = [
            ("sku", fields.sku.is_some()),
            ("price_cents", fields.price_cents.is_some()),
            ("weight_grams", fields.weight_grams.is_some()),
            ("stock", fields.stock.is_some()),
        ]
        .iter()
        .find(|(_, given)| *given)
        .map_or("sku", |(name, _)| *name);
        let variant_id = only(current, field)?.id.clone();
        let changes = VariantFields {
            sku: fields.sku.clone(),
            price_cents: fields.price_cents,
            weight_grams: fields.weight_grams,
            ..Default::default()
        };
        apply_variant_fields(&mut edit, &variant_id, &changes, "")?;
        if let Some(delta) = count.filter(|d| *d != 0) {
            edit.stock.push((
                Change {
                    product_id: current.id.clone(),
                    variant_id,
                    delta,
                    reason: Reason::Count,
                    order_id: None,
                    actor_id: actor.map(str::to_owned),
                },
                Requires::Nothing,
            ));
        }
    }
    if let Some(options) = &fields.options {
        variants::check_options(options)?;
        let after = &mut edit.after;
        variants::check_replacement(&after.variants, options)?;
        if !options.is_empty() {
            // A default variant has no value of any option: declaring options retires it.
            for variant in after.variants.values_mut() {
                if variant.active && variant.is_default() {
                    if variant.stock > 0 {
                        return Err(ApiError::Conflict {
                            code: crate::error::ErrorCode::Conflict,
                            detail: format!(
                                "Options retire the default variant, which holds {} in stock: move it out first.",
                                variant.stock
                            ),
                        });
                    }
                    variant.active = false;
                    edit.must_be_empty.push(variant.id.clone());
                }
            }
            if !edit.must_be_empty.is_empty() && edit.stock.iter().any(|(c, _)| c.delta > 0) {
                return Err(ApiError::validation(
                    "stock",
                    "cannot be counted while options retire the default variant",
                ));
            }
        }
        edit.after.options = options.clone();
    }
    Ok(edit.finish(now))
}

/// `POST /products/{id}/variants`.
pub fn add_variant(
    current: &ProductItem,
    id: &str,
    new: &NewVariant,
    actor: Option<&str>,
    now: i64,
) -> Result<Edit, ApiError> {
    if current.variants.len() >= MAX_VARIANTS {
        return Err(ApiError::Conflict {
            code: crate::error::ErrorCode::Conflict,
            detail: "This product has 100 variants, as many as a product may have.".to_owned(),
        });
    }
    let (variant, stock) = variant_from(current, id.to_owned(), new, "", now)?;
    let mut edit = Edit::of(current.clone());
    edit.add(variant, stock, "sku".to_owned(), actor);
    Ok(edit.finish(now))
}

/// `PATCH /products/{id}/variants/{variant_id}`; `404` for a variant not of this product.
pub fn update_variant(
    current: &ProductItem,
    variant_id: &str,
    fields: &VariantFields,
    now: i64,
) -> Result<Edit, ApiError> {
    if fields.stock.is_some() {
        return Err(ApiError::validation(
            "stock",
            "changes only by movements: POST /products/{id}/variants/{variant_id}/stock",
        ));
    }
    if !current.variants.contains_key(variant_id) {
        return Err(ApiError::NotFound);
    }
    let mut edit = Edit::of(current.clone());
    apply_variant_fields(&mut edit, variant_id, fields, "")?;
    Ok(edit.finish(now))
}

/// Applies a variant's fields to the edit's product: a new SKU claimed, options and
/// activation checked against the product's options and its other variants.
fn apply_variant_fields(
    edit: &mut Edit,
    variant_id: &str,
    fields: &VariantFields,
    prefix: &str,
) -> Result<(), ApiError> {
    let product = edit.after.clone();
    let Some(variant) = edit.after.variants.get_mut(variant_id) else {
        return Err(ApiError::NotFound);
    };
    if let Some(sku) = &fields.sku
        && sku.as_str() != variant.sku
    {
        edit.claimed.push(Claim {
            sku: sku.as_str().to_owned(),
            variant_id: variant_id.to_owned(),
            field: format!("{prefix}sku"),
        });
        edit.released
            .push(std::mem::replace(&mut variant.sku, sku.as_str().to_owned()));
    }
    if let Some(choice) = &fields.options {
        variants::check_choice(&product.options, choice, &format!("{prefix}options"))?;
        variant.options = variants::stored(choice);
    }
    if let Some(price) = fields.price_cents {
        variant.price_cents = price.get();
    }
    if let Some(weight) = fields.weight_grams {
        variant.weight_grams = weight.get();
    }
    if let Some(image) = &fields.image_id {
        check_image(&product, image, &format!("{prefix}image_id"))?;
        variant.image_id = Some(image.to_string());
    }
    if let Some(active) = fields.active {
        variant.active = active;
    }
    if variant.active && (fields.options.is_some() || fields.active == Some(true)) {
        // An active variant picks a value of every option, unlike any other active one.
        let choice: Choice = variant
            .options
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    variants::OptionText::parse(k).ok()?,
                    variants::OptionText::parse(v).ok()?,
                ))
            })
            .collect();
        variants::check_choice(&product.options, &choice, &format!("{prefix}options"))?;
        let options = variant.options.clone();
        variants::check_unique(product.variants.values(), &options, Some(variant_id))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
