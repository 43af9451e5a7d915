//! What edits make of products, without a table.

use super::*;
use crate::catalog::model::tests::product_item;
use serde_json::json;

fn fields(value: serde_json::Value) -> ProductFields {
    serde_json::from_value(value).unwrap()
}

fn simple() -> ProductItem {
    let id = Id::new();
    new_product(
        &id,
        fields(json!({"sku": "MUG", "name": "Mug", "category": "mugs", "price_cents": 900, "stock": 4})),
        "EUR",
        None,
        0,
    )
    .unwrap()
    .after
}

#[test]
fn a_simple_product_has_one_default_variant_with_the_products_id() {
    let id = Id::new();
    let edit = new_product(
        &id,
        fields(json!({"sku": "MUG", "name": "Mug", "category": "mugs", "price_cents": 900, "stock": 4, "weight_grams": 350})),
        "EUR",
        Some("admin"),
        0,
    )
    .unwrap();
    let variant = &edit.after.variants[id.as_str()];
    assert_eq!(
        (
            variant.sku.as_str(),
            variant.price_cents,
            variant.weight_grams
        ),
        ("MUG", 900, 350)
    );
    assert!(variant.is_default() && variant.active);
    assert_eq!(edit.after.price_cents, 900);
    // Its stock comes as its first movement, a count by the admin.
    let (change, _) = &edit.stock[0];
    assert_eq!(
        (change.delta, change.reason, change.actor_id.as_deref()),
        (4, Reason::Count, Some("admin"))
    );
    assert_eq!(edit.claimed[0].sku, "MUG");
    // Without a SKU, a price or a stock there is no default variant to make.
    let Err(ApiError::Validation(errors)) = new_product(
        &id,
        fields(json!({"name": "Mug", "category": "mugs"})),
        "EUR",
        None,
        0,
    ) else {
        panic!("refused");
    };
    let named: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(named, ["sku", "price_cents", "stock"]);
}

#[test]
fn variants_come_with_their_product_each_a_choice_of_its_options() {
    let body = json!({"name": "Tee", "category": "shirts",
    "options": [{"name": "Size", "values": ["S", "M"]}, {"name": "Colour", "values": ["Red"]}],
    "variants": [
        {"sku": "TEE-S", "options": {"Size": "S", "Colour": "Red"}, "price_cents": 1500, "stock": 0},
        {"sku": "TEE-M", "options": {"Size": "M", "Colour": "Red"}, "price_cents": 1400, "stock": 3}
    ]});
    let edit = new_product(&Id::new(), fields(body.clone()), "EUR", None, 0).unwrap();
    assert_eq!(edit.after.variants.len(), 2);
    assert_eq!(edit.after.price_cents, 1400, "its lowest price");
    assert_eq!(
        edit.stock.len(),
        1,
        "no movement for a variant without stock"
    );
    for (change, field) in [
        (
            json!({"variants": [{"sku": "X", "options": {"Size": "XL", "Colour": "Red"}, "price_cents": 1, "stock": 0}]}),
            "variants[0].options",
        ),
        (
            json!({"variants": [{"sku": "X", "options": {"Size": "S"}, "price_cents": 1, "stock": 0}]}),
            "variants[0].options",
        ),
        (json!({"sku": "TOP"}), "sku"),
        (json!({"variants": []}), "variants"),
        (
            json!({"variants": [
            {"sku": "A", "options": {"Size": "S", "Colour": "Red"}, "price_cents": 1, "stock": 0},
            {"sku": "A", "options": {"Size": "M", "Colour": "Red"}, "price_cents": 1, "stock": 0}]}),
            "variants[1].sku",
        ),
    ] {
        let mut asked = body.clone();
        for (k, v) in change.as_object().unwrap() {
            asked[k] = v.clone();
        }
        let Err(ApiError::Validation(errors)) =
            new_product(&Id::new(), fields(asked), "EUR", None, 0)
        else {
            panic!("{change} is refused");
        };
        assert_eq!(errors[0].field, field, "{change}");
    }
    let same = json!({"variants": [
        {"sku": "A", "options": {"Size": "S", "Colour": "Red"}, "price_cents": 1, "stock": 0},
        {"sku": "B", "options": {"Size": "S", "Colour": "Red"}, "price_cents": 1, "stock": 0}]});
    let mut asked = body;
    asked["variants"] = same["variants"].clone();
    let refused = new_product(&Id::new(), fields(asked), "EUR", None, 0).unwrap_err();
    assert_eq!(refused.status(), 409, "one combination twice");
}

#[test]
fn declaring_options_retires_the_default_variant_which_must_be_empty() {
    let mut product = simple();
    let options = fields(json!({"options": [{"name": "Size", "values": ["S", "M"]}]}));
    let default = product.id.clone();
    product.variants.get_mut(&default).unwrap().stock = 4;
    let holding = update_product(&product, &options, None, None, 5).unwrap_err();
    assert_eq!(
        holding.status(),
        409,
        "a default variant with stock is not retired"
    );
    product.variants.get_mut(&default).unwrap().stock = 0;
    let edit = update_product(&product, &options, None, None, 5).unwrap();
    let default = &edit.after.variants[product.id.as_str()];
    assert!(!default.active);
    assert_eq!(edit.must_be_empty, std::slice::from_ref(&product.id));
    assert_eq!(edit.after.options.len(), 1);
    // Then the shorthand fields belong to no one variant.
    let retired = edit.after;
    let refused =
        update_product(&retired, &fields(json!({"stock": 3})), Some(3), None, 6).unwrap_err();
    assert_eq!(refused.status(), 400);
    // A variant with the options can be added, and a second with the same values cannot.
    let new: NewVariant = serde_json::from_value(
        json!({"sku": "MUG-S", "options": {"Size": "S"}, "price_cents": 800, "stock": 2}),
    )
    .unwrap();
    let added = add_variant(&retired, "v1", &new, None, 7).unwrap().after;
    assert_eq!(added.price_cents, 800);
    let again: NewVariant = serde_json::from_value(
        json!({"sku": "MUG-S2", "options": {"Size": "S"}, "price_cents": 800, "stock": 2}),
    )
    .unwrap();
    assert_eq!(
        add_variant(&added, "v2", &again, None, 8)
            .unwrap_err()
            .status(),
        409
    );
    // Options the variant no longer fits are refused.
    let narrower = fields(json!({"options": [{"name": "Size", "values": ["M"]}]}));
    assert_eq!(
        update_product(&added, &narrower, None, None, 9)
            .unwrap_err()
            .status(),
        409
    );
}

#[test]
fn the_shorthand_of_a_simple_product_edits_its_variant_and_counts_its_stock() {
    let product = simple();
    let edit = update_product(
        &product,
        &fields(json!({"sku": "MUG-2", "price_cents": 950, "stock": 10})),
        Some(6),
        Some("admin"),
        5,
    )
    .unwrap();
    let variant = &edit.after.variants[product.id.as_str()];
    assert_eq!((variant.sku.as_str(), variant.price_cents), ("MUG-2", 950));
    assert_eq!(edit.released, ["MUG"]);
    assert_eq!(edit.claimed[0].sku, "MUG-2");
    assert_eq!(
        edit.stock[0].0.delta, 6,
        "the count is the difference given, not the stock"
    );
    assert_eq!(edit.after.price_cents, 950);
    // Editing a name writes no stock.
    let renamed = update_product(&product, &fields(json!({"name": "Cup"})), None, None, 5).unwrap();
    assert!(renamed.stock.is_empty() && renamed.claimed.is_empty());
}

#[test]
fn a_variant_edit_refuses_stock_a_stranger_image_and_a_taken_combination() {
    let mut product = product_item("01JD5X8Y9Z0A1B2C3D4E5F6G7H");
    product.options =
        serde_json::from_value(json!([{"name": "Size", "values": ["S", "M"]}])).unwrap();
    let new = |sku: &str, size: &str| -> NewVariant {
        serde_json::from_value(
            json!({"sku": sku, "options": {"Size": size}, "price_cents": 500, "stock": 1}),
        )
        .unwrap()
    };
    let product = add_variant(&product, "s", &new("S1", "S"), None, 1)
        .unwrap()
        .after;
    let product = add_variant(&product, "m", &new("M1", "M"), None, 2)
        .unwrap()
        .after;
    let edit = |value: serde_json::Value| -> Result<Edit, ApiError> {
        let fields: VariantFields = serde_json::from_value(value).unwrap();
        update_variant(&product, "m", &fields, 3)
    };
    assert_eq!(edit(json!({"stock": 4})).unwrap_err().status(), 400);
    assert_eq!(
        edit(json!({"options": {"Size": "S"}}))
            .unwrap_err()
            .status(),
        409
    );
    assert_eq!(
        edit(json!({"image_id": "01JD5X8Y9Z0A1B2C3D4E5F6G7J"}))
            .unwrap_err()
            .status(),
        400
    );
    assert!(matches!(
        update_variant(&product, "zz", &VariantFields::default(), 3),
        Err(ApiError::NotFound)
    ));
    let cheaper = edit(json!({"price_cents": 100, "weight_grams": 200}))
        .unwrap()
        .after;
    assert_eq!(cheaper.price_cents, 100);
    // A retired variant's price is not the product's.
    let retired = edit(json!({"price_cents": 100, "active": false}))
        .unwrap()
        .after;
    assert_eq!(retired.price_cents, 500);
}

#[test]
fn a_product_holds_at_most_a_hundred_variants_retired_ones_included() {
    let mut product = product_item("01JD5X8Y9Z0A1B2C3D4E5F6G7H");
    let values: Vec<String> = (0..50).map(|i| format!("{i}")).collect();
    product.options = serde_json::from_value(
        json!([{"name": "N", "values": values}, {"name": "C", "values": ["a", "b", "c"]}]),
    )
    .unwrap();
    let new = |n: usize, colour: &str| -> NewVariant {
        serde_json::from_value(json!({"sku": format!("V{n}{colour}"),
            "options": {"N": format!("{}", n % 50), "C": colour}, "price_cents": 1, "stock": 0}))
        .unwrap()
    };
    for n in 0..100 {
        let colour = if n < 50 { "a" } else { "b" };
        product = add_variant(&product, &format!("v{n}"), &new(n, colour), None, 1)
            .unwrap()
            .after;
    }
    // Retired, the first still counts: a product's history is kept.
    product.variants.get_mut("v0").unwrap().active = false;
    let refused = add_variant(&product, "v100", &new(7, "c"), None, 2).unwrap_err();
    assert_eq!(refused.status(), 409);
    assert!(
        refused.detail().contains("100 variants"),
        "{}",
        refused.detail()
    );
}
