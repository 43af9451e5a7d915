//! Orders to plan refunds and returns against, and what a refusal says, in unit tests.

use serde_json::json;

use crate::error::ApiError;
use crate::orders::model::OrderItem;

/// A paid order of `lines` (`(variant, unit price, quantity, discount, tax)`, tax added) and
/// `shipping` cents, its total what they add up to.
pub fn paid(lines: &[(&str, i64, i64, i64, i64)], shipping: i64) -> OrderItem {
    let total: i64 = lines
        .iter()
        .map(|(_, unit, quantity, discount, tax)| unit * quantity - discount + tax)
        .sum::<i64>()
        + shipping;
    let lines: Vec<_> = lines
        .iter()
        .map(|(variant, unit, quantity, discount, tax)| {
            json!({"product_id": format!("p-{variant}"), "variant_id": variant, "sku": "SKU",
                   "name": "Shirt", "unit_price_cents": unit, "quantity": quantity,
                   "line_total_cents": unit * quantity, "discount_cents": discount,
                   "tax_cents": tax})
        })
        .collect();
    let order = json!({
        "pk": "ORDER#o1", "sk": "ORDER", "gsi1pk": "CUSTOMER#u1", "gsi1sk": "o1",
        "gsi2pk": "ORDERS#paid", "gsi2sk": "o1", "gsi3pk": "ORDERS", "gsi3sk": "o1",
        "id": "o1", "user_id": "u1", "status": "paid", "lines": lines,
        "total_cents": total, "currency": "eur", "shipping_cents": shipping,
        "shipping_address": {"name": "A", "line1": "B", "city": "C", "postal_code": "1",
                             "country": "DE"},
        "payment": {"provider": "stripe", "payment_intent_id": "pi_1", "client_secret": "s",
                    "status": "succeeded"},
        "created_at": 0, "updated_at": 0, "expires_at": 0,
    });
    serde_json::from_value(order).expect("a valid order")
}

/// What a refusal says, in one line: the fields and messages of a validation problem, the
/// code of a conflict.
pub fn refused(err: ApiError) -> String {
    match err {
        ApiError::Validation(errors) => errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        ApiError::Conflict { code, .. } => code.as_str().to_owned(),
        other => format!("{other:?}"),
    }
}
