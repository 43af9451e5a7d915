//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing;

const SAMPLE: &str = include_str!("../../../../events/checkout-quote/quote.json");

#[tokio::test]
async fn a_quote_checks_its_body_before_it_reads_the_catalog() {
    // The sample reads the products; an unreachable table is a 503.
    assert_eq!(testing::call(SAMPLE, quote).await.0, 503);
    let bad = r#"{"items": [], "shipping_address": {"country": "XX", "region": "CALIF"},
        "discount_code": "no", "shipping_method_id": "Not A Slug"}"#;
    testing::assert_body_checked(
        SAMPLE,
        quote,
        bad,
        &[
            "shipping_address.country",
            "shipping_method_id",
            "discount_code",
        ],
    )
    .await;
    let region = r#"{"items": [{"variant_id": "01JD5X8Y9Z0A1B2C3D4E5F6G7H", "quantity": 1}],
        "shipping_address": {"country": "US", "region": "CALIF"}}"#;
    testing::assert_body_checked(SAMPLE, quote, region, &["shipping_address.region"]).await;
    // Anyone may ask; a token that is not one is still refused.
    let forged = testing::with_header(SAMPLE, "authorization", "Bearer not-a-token");
    assert_eq!(testing::call(&forged, quote).await.0, 401);
}
