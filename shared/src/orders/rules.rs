//! The checkout's and the order routes' decisions, as pure functions of what was asked and what
//! was read: which lines an order may have, what each costs, which are short of stock, and who
//! sees or moves an order. The service reads and writes around them; these tests need no table.

use std::collections::{HashMap, HashSet};

use super::model::{Line, MAX_LINES, NewLine, OrderItem};
use super::state::Actor;
use crate::auth::Principal;
use crate::catalog::model::ProductItem;
use crate::catalog::stock::{Change, Reason, Requires};
use crate::catalog::variants;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::ids::Id;

/// 1 to [`MAX_LINES`] lines, each naming a variant or a product (not both): every problem
/// named at once.
pub fn check_lines(items: &[NewLine]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if items.is_empty() || items.len() > MAX_LINES {
        errors.push(FieldError::new("items", "must have 1 to 40 lines"));
    }
    for (index, line) in items.iter().enumerate() {
        if line.variant_id.is_some() == line.product_id.is_some() {
            errors.push(FieldError::new(
                format!("items[{index}]"),
                "must name one of variant_id and product_id",
            ));
        }
    }
    ApiError::unless_invalid(errors)
}

/// The field a line names what it buys by.
fn field(line: &NewLine, index: usize) -> String {
    if line.variant_id.is_some() {
        format!("items[{index}].variant_id")
    } else {
        format!("items[{index}].product_id")
    }
}

/// The order's lines at their variants' current prices. A `product_id` line buys that
/// product's one variant (a product with several is `400`); a line whose product or variant
/// does not exist or is not for sale is `422`; a variant on two lines is `400`. Every such
/// line named.
pub fn price_lines(
    items: &[NewLine],
    owners: &HashMap<String, String>,
    products: &HashMap<String, ProductItem>,
) -> Result<Vec<Line>, ApiError> {
    let mut lines = Vec::with_capacity(items.len());
    let mut unavailable = Vec::new();
    let mut ambiguous = Vec::new();
    let mut seen = HashSet::new();
    for (index, wanted) in items.iter().enumerate() {
        let found = match (&wanted.variant_id, &wanted.product_id) {
            (Some(variant), _) => owners
                .get(variant.as_str())
                .and_then(|owner| products.get(owner))
                .and_then(|p| Some((p, p.variants.get(variant.as_str())?))),
            (None, Some(product)) => match products.get(product.as_str()) {
                Some(p) if p.variants.values().filter(|v| v.active).count() > 1 => {
                    ambiguous.push(FieldError::new(
                        field(wanted, index),
                        "has several variants: name the one to buy by variant_id",
                    ));
                    continue;
                }
                Some(p) => variants::only_variant(&p.variants).map(|v| (p, v)),
                None => None,
            },
            (None, None) => None,
        };
        match found {
            Some((product, variant)) if product.active && variant.active => {
                if !seen.insert(variant.id.clone()) {
                    ambiguous.push(FieldError::new(
                        field(wanted, index),
                        "is bought on another line too; put the quantities on one line",
                    ));
                    continue;
                }
                let quantity = wanted.quantity.get();
                lines.push(Line {
                    product_id: product.id.clone(),
                    variant_id: variant.id.clone(),
                    sku: variant.sku.clone(),
                    name: product.name.clone(),
                    options: variant.options.clone(),
                    unit_price_cents: variant.price_cents,
                    quantity,
                    line_total_cents: variant.price_cents * quantity,
                    discount_cents: 0,
                    tax_cents: 0,
                    refunded_quantity: 0,
                    returned_quantity: 0,
                });
            }
            _ => unavailable.push(FieldError::new(
                field(wanted, index),
                "is not a product for sale",
            )),
        }
    }
    ApiError::unless_invalid(ambiguous)?;
    if unavailable.is_empty() {
        Ok(lines)
    } else {
        Err(ApiError::Unprocessable(unavailable))
    }
}

/// What the order costs: the sum of its lines.
pub fn total(lines: &[Line]) -> i64 {
    lines.iter().map(|l| l.line_total_cents).sum()
}

/// The least Stripe charges in `currency` (its minimum charge amounts, in the currency's
/// smallest unit); 50 for a currency not listed, as for most.
pub fn minimum_charge(currency: &str) -> i64 {
    match currency.to_ascii_lowercase().as_str() {
        "gbp" => 30,
        "dkk" => 250,
        "nok" | "sek" => 300,
        "pln" => 200,
        "hkd" => 400,
        "mxn" => 1000,
        "czk" => 1500,
        "huf" => 17_500,
        "thb" => 1000,
        "aed" | "myr" => 200,
        _ => 50,
    }
}

/// `422 amount_too_small` when `total` is less than the provider can charge: such an order
/// could never be paid, so it takes no stock.
pub fn check_chargeable(total: i64, currency: &str) -> Result<(), ApiError> {
    let minimum = minimum_charge(currency);
    if total >= minimum {
        return Ok(());
    }
    Err(ApiError::Conflict {
        code: ErrorCode::AmountTooSmall,
        detail: format!(
            "The order's total ({total}) is less than the least that can be charged ({minimum} {}).",
            currency.to_ascii_uppercase()
        ),
    })
}

/// The stock each line takes: a sale, at the price it was priced at.
pub fn sales(order_id: &str, lines: &[Line]) -> Vec<(Change, Requires)> {
    lines
        .iter()
        .map(|line| {
            (
                Change {
                    product_id: line.product_id.clone(),
                    variant_id: line.variant().to_owned(),
                    delta: -line.quantity,
                    reason: Reason::Sale,
                    order_id: Some(order_id.to_owned()),
                    actor_id: None,
                },
                Requires::ForSaleAt(line.unit_price_cents),
            )
        })
        .collect()
}

/// The lines whose product or variant is no longer for sale at the line's price, as read.
pub fn changed(lines: &[Line], products: &HashMap<String, ProductItem>) -> Vec<usize> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, line)| {
            let now = products
                .get(&line.product_id)
                .filter(|p| p.active)
                .and_then(|p| p.variants.get(line.variant()));
            !now.is_some_and(|v| v.active && v.price_cents == line.unit_price_cents)
        })
        .map(|(index, _)| index)
        .collect()
}

/// `409 out_of_stock`, naming each short line (by the field it was asked by) and what is left
/// of its variant.
pub fn out_of_stock(items: &[NewLine], lines: &[Line], short: &[(usize, i64)]) -> ApiError {
    ApiError::OutOfStock(
        short
            .iter()
            .map(|&(index, left)| {
                let variant = lines.get(index).map_or("", |l| l.variant());
                let name = items
                    .get(index)
                    .map_or_else(|| format!("items[{index}]"), |item| field(item, index));
                FieldError::new(name, format!("{variant}: {left} left"))
            })
            .collect(),
    )
}

/// One ask of a refund or a return that names a line of the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named {
    /// Its place in the body's `lines`.
    pub ask: usize,
    /// The line's index in the order.
    pub index: usize,
    pub units: i64,
}

/// The order's lines that `asked` (variants and units) names, and the errors of the asks that
/// name none: not a line of the order, a line named a second time, or nothing asked at all.
/// The callers add what their units may be.
pub fn named_lines(order: &OrderItem, asked: &[(Id, i64)]) -> (Vec<Named>, Vec<FieldError>) {
    if asked.is_empty() {
        return (
            Vec::new(),
            vec![FieldError::new("lines", "must name at least one line")],
        );
    }
    let mut named: Vec<Named> = Vec::new();
    let mut errors = Vec::new();
    for (ask, (variant, units)) in asked.iter().enumerate() {
        let field = format!("lines[{ask}].variant_id");
        match order
            .lines
            .iter()
            .position(|line| line.variant() == variant.as_str())
        {
            None => errors.push(FieldError::new(field, "is not a line of this order")),
            Some(index) if named.iter().any(|n| n.index == index) => {
                errors.push(FieldError::new(field, "names a line a second time"));
            }
            Some(index) => named.push(Named {
                ask,
                index,
                units: *units,
            }),
        }
    }
    (named, errors)
}

/// Whether a payment of `amount` in `currency` is exactly `order`'s total in its currency.
pub fn payment_matches(amount: Option<i64>, currency: Option<&str>, order: &OrderItem) -> bool {
    amount == Some(order.total_cents)
        && currency.is_some_and(|c| c.eq_ignore_ascii_case(&order.currency))
}

/// Whether `principal` may see an order of `owner`: its owner, or the shop's staff and admins.
pub fn may_see(principal: &Principal, owner: &str) -> bool {
    principal.user_id == owner || principal.is_shop()
}

/// Whether `principal` may cancel an order of `owner`: its owner, or an admin.
pub fn may_cancel(principal: &Principal, owner: &str) -> bool {
    principal.user_id == owner || principal.is_admin()
}

/// Who moves an order: the shop when an admin does it, else its owner.
pub fn actor(principal: &Principal) -> Actor {
    if principal.is_admin() {
        Actor::Shop
    } else {
        Actor::Owner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn lines(json: &str) -> Vec<NewLine> {
        serde_json::from_str(json).unwrap()
    }

    /// A product whose variants are `(id, price, active)`, each with 5 in stock.
    fn product(id: &str, variants: &[(&str, i64, bool)], active: bool) -> (String, ProductItem) {
        let mut item = crate::catalog::model::tests::product_item(id);
        item.active = active;
        item.name = format!("Product {id}");
        item.variants = variants
            .iter()
            .map(|&(v, price_cents, active)| {
                let variant = crate::catalog::variants::VariantItem {
                    id: v.to_owned(),
                    sku: format!("SKU-{v}"),
                    options: [("Size".to_owned(), v.to_owned())].into(),
                    price_cents,
                    stock: 5,
                    weight_grams: 0,
                    active,
                    image_id: None,
                    movements: 0,
                    created_at: 0,
                };
                (v.to_owned(), variant)
            })
            .collect();
        (id.to_owned(), item)
    }

    const A: &str = "01JD5X8Y9Z0A1B2C3D4E5F6G7A";
    const B: &str = "01JD5X8Y9Z0A1B2C3D4E5F6G7B";

    fn fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation(errors)
            | ApiError::Unprocessable(errors)
            | ApiError::OutOfStock(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("not a field problem: {other:?}"),
        }
    }

    #[test]
    fn an_order_has_one_to_forty_lines_each_naming_a_variant_or_a_product() {
        assert!(
            check_lines(&lines(&format!(
                r#"[{{"product_id": "{A}", "quantity": 1}}, {{"variant_id": "{B}", "quantity": 1}}]"#
            )))
            .is_ok()
        );
        let none = check_lines(&[]).unwrap_err();
        assert_eq!(fields(none), ["items"]);
        let both_or_neither = format!(
            r#"[{{"product_id": "{A}", "variant_id": "{B}", "quantity": 1}}, {{"quantity": 2}}]"#
        );
        assert_eq!(
            fields(check_lines(&lines(&both_or_neither)).unwrap_err()),
            ["items[0]", "items[1]"]
        );
        let one: String = format!(r#"{{"product_id": "{A}", "quantity": 1}}"#);
        assert!(
            check_lines(&lines(&format!(
                "[{}]",
                vec![one.clone(); MAX_LINES].join(",")
            )))
            .is_ok()
        );
        let too_many = format!("[{}]", vec![one; MAX_LINES + 1].join(","));
        let problems = fields(check_lines(&lines(&too_many)).unwrap_err());
        assert_eq!(problems.first().map(String::as_str), Some("items"));
    }

    #[test]
    fn a_line_buys_a_variant_or_the_one_variant_of_a_product() {
        let (v1, v2, v3) = (
            "01JD5X8Y9Z0A1B2C3D4E5F6V01",
            "01JD5X8Y9Z0A1B2C3D4E5F6V02",
            "01JD5X8Y9Z0A1B2C3D4E5F6V03",
        );
        let products = HashMap::from([
            product(A, &[(v1, 1250, true), (v2, 1400, true)], true),
            product(B, &[(v3, 999, true), (A, 500, false)], true),
        ]);
        let owners = HashMap::from([(v1.to_owned(), A.to_owned()), (v2.to_owned(), A.to_owned())]);
        let wanted = lines(&format!(
            r#"[{{"variant_id": "{v2}", "quantity": 3}}, {{"product_id": "{B}", "quantity": 1}}]"#
        ));
        let priced = price_lines(&wanted, &owners, &products).unwrap();
        let sold: Vec<(&str, &str, i64, i64)> = priced
            .iter()
            .map(|l| {
                (
                    l.product_id.as_str(),
                    l.variant(),
                    l.unit_price_cents,
                    l.line_total_cents,
                )
            })
            .collect();
        // The retired variant of B does not count: B has one variant for sale.
        assert_eq!(sold, [(A, v2, 1400, 4200), (B, v3, 999, 999)]);
        assert_eq!(priced[0].options["Size"], v2);
        assert_eq!(total(&priced), 5199);
        // A product with several variants needs the variant named; one variant twice is refused.
        let several = lines(&format!(r#"[{{"product_id": "{A}", "quantity": 1}}]"#));
        let refused = price_lines(&several, &owners, &products).unwrap_err();
        assert_eq!(refused.status(), 400);
        assert_eq!(fields(refused), ["items[0].product_id"]);
        let twice = lines(&format!(
            r#"[{{"variant_id": "{v1}", "quantity": 1}}, {{"variant_id": "{v1}", "quantity": 1}}]"#
        ));
        assert_eq!(
            fields(price_lines(&twice, &owners, &products).unwrap_err()),
            ["items[1].variant_id"]
        );
    }

    #[test]
    fn a_total_under_the_providers_minimum_is_refused_and_the_minimum_itself_is_chargeable() {
        for (currency, minimum) in [("EUR", 50), ("usd", 50), ("GBP", 30), ("SEK", 300)] {
            assert!(check_chargeable(minimum, currency).is_ok(), "{currency}");
            let refused = check_chargeable(minimum - 1, currency).unwrap_err();
            assert_eq!(refused.code(), ErrorCode::AmountTooSmall, "{currency}");
            assert_eq!(refused.status(), 422);
        }
        assert_eq!(check_chargeable(0, "EUR").unwrap_err().status(), 422);
        assert!(check_chargeable(i64::MAX, "EUR").is_ok());
    }

    #[test]
    fn every_line_not_for_sale_is_named_and_a_short_one_says_what_is_left() {
        let v1 = "01JD5X8Y9Z0A1B2C3D4E5F6V01";
        let products = HashMap::from([
            product(A, &[(A, 1250, true)], true),
            product(B, &[(B, 999, true)], false),
        ]);
        let owners = HashMap::from([(v1.to_owned(), A.to_owned())]);
        let unknown = "01JD5X8Y9Z0A1B2C3D4E5F6G7C";
        let refused = lines(&format!(
            r#"[{{"product_id": "{A}", "quantity": 1}}, {{"product_id": "{B}", "quantity": 1}},
                {{"product_id": "{unknown}", "quantity": 1}}, {{"variant_id": "{v1}", "quantity": 1}}]"#
        ));
        let problem = price_lines(&refused, &owners, &products).unwrap_err();
        assert_eq!(problem.status(), 422);
        assert_eq!(
            fields(problem),
            [
                "items[1].product_id",
                "items[2].product_id",
                "items[3].variant_id"
            ]
        );
        let wanted = lines(&format!(r#"[{{"product_id": "{A}", "quantity": 2}}]"#));
        let priced = price_lines(&wanted, &owners, &products).unwrap();
        let ApiError::OutOfStock(errors) = out_of_stock(&wanted, &priced, &[(0, 1)]) else {
            panic!("out of stock");
        };
        assert_eq!(
            (errors[0].field.as_str(), errors[0].message.clone()),
            ("items[0].product_id", format!("{A}: 1 left"))
        );
        // A line is changed when its variant is no longer for sale at its price.
        let mut now = products.clone();
        assert!(changed(&priced, &now).is_empty());
        now.get_mut(A)
            .unwrap()
            .variants
            .get_mut(A)
            .unwrap()
            .price_cents = 1300;
        assert_eq!(changed(&priced, &now), [0]);
        let sales = sales("o1", &priced);
        assert_eq!(
            (sales[0].0.delta, sales[0].1),
            (-2, Requires::ForSaleAt(1250))
        );
    }

    #[test]
    fn an_order_is_seen_by_its_owner_and_the_shop_and_cancelled_by_its_owner_and_admins() {
        let customer = Principal::with_role("u1", Role::Customer);
        let staff = Principal::with_role("s1", Role::Staff);
        let admin = Principal::with_role("a1", Role::Admin);
        assert!(may_see(&customer, "u1") && !may_see(&customer, "u2"));
        assert!(may_see(&admin, "u2") && may_see(&staff, "u2"));
        assert!(may_cancel(&customer, "u1") && may_cancel(&admin, "u2"));
        assert!(!may_cancel(&customer, "u2") && !may_cancel(&staff, "u2"));
        assert_eq!(
            (actor(&customer), actor(&admin)),
            (Actor::Owner, Actor::Shop)
        );
    }
}
