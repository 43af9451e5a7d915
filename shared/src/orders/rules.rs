//! The checkout's and the order routes' decisions, as pure functions of what was asked and what
//! was read: which lines an order may have, what each costs, which are short of stock, and who
//! sees or moves an order. The service reads and writes around them; these tests need no table.

use std::collections::{HashMap, HashSet};

use super::model::{Line, MAX_LINES, NewLine, OrderItem};
use super::repo::ProductSnapshot;
use super::state::Actor;
use crate::auth::Principal;
use crate::error::{ApiError, ErrorCode, FieldError};

/// 1 to [`MAX_LINES`] lines, each product once (its quantities on one line): every problem
/// named at once.
pub fn check_lines(items: &[NewLine]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if items.is_empty() || items.len() > MAX_LINES {
        errors.push(FieldError::new("items", "must have 1 to 50 lines"));
    }
    let mut seen = HashSet::new();
    for (index, line) in items.iter().enumerate() {
        if !seen.insert(line.product_id.as_str()) {
            errors.push(FieldError::new(
                format!("items[{index}].product_id"),
                "is listed twice; put the quantities on one line",
            ));
        }
    }
    ApiError::unless_invalid(errors)
}

/// The order's lines at the products' current prices; a line whose product does not exist or
/// is not for sale is `422`, every such line named.
pub fn price_lines(
    items: &[NewLine],
    products: &HashMap<String, ProductSnapshot>,
) -> Result<Vec<Line>, ApiError> {
    let mut lines = Vec::with_capacity(items.len());
    let mut unavailable = Vec::new();
    for (index, wanted) in items.iter().enumerate() {
        match products.get(wanted.product_id.as_str()) {
            Some(product) if product.active => {
                let quantity = wanted.quantity.get();
                lines.push(Line {
                    product_id: product.id.clone(),
                    sku: product.sku.clone(),
                    name: product.name.clone(),
                    unit_price_cents: product.price_cents,
                    quantity,
                    line_total_cents: product.price_cents * quantity,
                });
            }
            _ => unavailable.push(FieldError::new(
                format!("items[{index}].product_id"),
                "is not a product for sale",
            )),
        }
    }
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

/// The lines that ask for more than the stock read, by index, with what is left.
pub fn short_lines(
    lines: &[Line],
    products: &HashMap<String, ProductSnapshot>,
) -> Vec<(usize, i64)> {
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| {
            let left = products.get(&line.product_id).map_or(0, |p| p.stock);
            (left < line.quantity).then_some((i, left.max(0)))
        })
        .collect()
}

/// `409 out_of_stock`, naming each short line and what is left of its product.
pub fn out_of_stock(lines: &[Line], short: &[(usize, i64)]) -> ApiError {
    ApiError::OutOfStock(
        short
            .iter()
            .map(|&(index, left)| {
                let product = lines.get(index).map_or("", |l| l.product_id.as_str());
                FieldError::new(
                    format!("items[{index}].product_id"),
                    format!("{product}: {left} left"),
                )
            })
            .collect(),
    )
}

/// Whether a payment of `amount` in `currency` is exactly `order`'s total in its currency.
pub fn payment_matches(amount: Option<i64>, currency: Option<&str>, order: &OrderItem) -> bool {
    amount == Some(order.total_cents)
        && currency.is_some_and(|c| c.eq_ignore_ascii_case(&order.currency))
}

/// Whether `principal` may see an order of `owner`: its owner, or an admin.
pub fn may_see(principal: &Principal, owner: &str) -> bool {
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

    fn product(id: &str, price_cents: i64, stock: i64, active: bool) -> (String, ProductSnapshot) {
        let snapshot = ProductSnapshot {
            id: id.to_owned(),
            sku: format!("SKU-{id}"),
            name: format!("Product {id}"),
            price_cents,
            stock,
            active,
        };
        (id.to_owned(), snapshot)
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
    fn an_order_has_one_to_fifty_lines_each_product_once() {
        assert!(
            check_lines(&lines(&format!(
                r#"[{{"product_id": "{A}", "quantity": 1}}]"#
            )))
            .is_ok()
        );
        let none = check_lines(&[]).unwrap_err();
        assert_eq!(fields(none), ["items"]);
        let twice = format!(
            r#"[{{"product_id": "{A}", "quantity": 1}}, {{"product_id": "{B}", "quantity": 1}},
                {{"product_id": "{A}", "quantity": 2}}]"#
        );
        assert_eq!(
            fields(check_lines(&lines(&twice)).unwrap_err()),
            ["items[2].product_id"]
        );
        let one: String = format!(r#"{{"product_id": "{A}", "quantity": 1}}"#);
        let too_many = format!("[{}]", vec![one; MAX_LINES + 1].join(","));
        let problems = fields(check_lines(&lines(&too_many)).unwrap_err());
        assert_eq!(problems.first().map(String::as_str), Some("items"));
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
    fn lines_are_priced_now_and_every_product_not_for_sale_is_named() {
        let products = HashMap::from([product(A, 1250, 5, true), product(B, 999, 5, false)]);
        let wanted = lines(&format!(r#"[{{"product_id": "{A}", "quantity": 3}}]"#));
        let priced = price_lines(&wanted, &products).unwrap();
        assert_eq!(
            (priced[0].unit_price_cents, priced[0].line_total_cents),
            (1250, 3750)
        );
        assert_eq!(total(&priced), 3750);
        let unknown = "01JD5X8Y9Z0A1B2C3D4E5F6G7C";
        let refused = lines(&format!(
            r#"[{{"product_id": "{A}", "quantity": 1}}, {{"product_id": "{B}", "quantity": 1}},
                {{"product_id": "{unknown}", "quantity": 1}}]"#
        ));
        let problems = fields(price_lines(&refused, &products).unwrap_err());
        assert_eq!(problems, ["items[1].product_id", "items[2].product_id"]);
    }

    #[test]
    fn a_line_is_short_when_it_asks_more_than_is_left_and_says_what_is_left() {
        let products = HashMap::from([product(A, 100, 2, true), product(B, 100, -1, true)]);
        let wanted = lines(&format!(
            r#"[{{"product_id": "{A}", "quantity": 2}}, {{"product_id": "{B}", "quantity": 1}}]"#
        ));
        let priced = price_lines(&wanted, &products).unwrap();
        // Exactly the stock is not short; a negative stock (an item edited by hand) is none left.
        assert_eq!(short_lines(&priced, &products), [(1, 0)]);
        let ApiError::OutOfStock(errors) = out_of_stock(&priced, &[(1, 0)]) else {
            panic!("out of stock");
        };
        assert_eq!(errors[0].message, format!("{B}: 0 left"));
    }

    #[test]
    fn an_order_is_seen_by_its_owner_and_admins_and_moved_by_the_shop_for_admins() {
        let customer = Principal::with_role("u1", Role::Customer);
        let admin = Principal::with_role("a1", Role::Admin);
        assert!(may_see(&customer, "u1") && !may_see(&customer, "u2"));
        assert!(may_see(&admin, "u2"));
        assert_eq!(
            (actor(&customer), actor(&admin)),
            (Actor::Owner, Actor::Shop)
        );
    }
}
