//! What an order to an address costs, before it is placed: the lines at their prices, the
//! shop's shipping and tax for the address and the discount code, through the one pricing
//! function. `POST /checkout/quote` answers this; `POST /orders` prices by the same function,
//! so a quote and the order placed from it agree to the cent.

use std::collections::HashMap;

use serde::Serialize;

use super::model::{Charges, Destination, Line, MethodRef, Totals};
use crate::catalog::model::ProductItem;
use crate::error::ApiError;
use crate::pricing::{self, Discount, Item, Terms};
use crate::shop::model::{Delivery, MethodOffer, Snapshot};

/// A priced order: its lines (each with its share of the discount and its tax), what it costs
/// beyond them, and the methods that ship to its address.
#[derive(Debug, Clone)]
pub struct Quote {
    pub lines: Vec<Line>,
    pub charges: Charges,
    pub offers: Vec<MethodOffer>,
}

/// The discount code an order uses: its code, what it takes off, and whose redemption it is.
#[derive(Debug, Clone)]
pub struct Applied {
    pub code: String,
    pub discount: Discount,
    pub customer: Option<String>,
}

/// The weight of one unit of each line, from its variant as read.
pub fn weights(lines: &[Line], products: &HashMap<String, ProductItem>) -> Vec<i64> {
    lines
        .iter()
        .map(|line| {
            products
                .get(&line.product_id)
                .and_then(|p| p.variants.get(line.variant()))
                .map_or(0, |v| v.weight_grams)
        })
        .collect()
}

/// Prices `lines` (their units weighing `weights`) to `destination` by the shop's settings:
/// shipped by `method` (else the cheapest that ships there), with `discount`. `422
/// shipping_unavailable` when nothing ships there.
pub fn price(
    mut lines: Vec<Line>,
    weights: &[i64],
    shop: &Snapshot,
    destination: &Destination,
    method: Option<&str>,
    discount: Option<Applied>,
) -> Result<Quote, ApiError> {
    let region = destination.region();
    let delivery = shop.delivery(&region, method)?;
    let items: Vec<Item> = lines
        .iter()
        .zip(weights)
        .map(|(line, &weight_grams)| Item {
            unit_price_cents: line.unit_price_cents,
            quantity: line.quantity,
            weight_grams,
        })
        .collect();
    let terms = Terms {
        discount: discount.as_ref().map(|d| d.discount),
        shipping: match &delivery {
            Delivery::Free => None,
            Delivery::By(method) => Some(method.shipping()),
        },
        rate_bps: shop.rate_for(&region),
        prices_include_tax: shop.settings.prices_include_tax,
    };
    let priced = pricing::price(&items, &terms);
    for (line, price) in lines.iter_mut().zip(&priced.lines) {
        line.line_total_cents = price.line_total_cents;
        line.discount_cents = price.discount_cents;
        line.tax_cents = price.tax_cents;
    }
    let (discount_code, discount_customer) = match discount {
        Some(applied) => (Some(applied.code), applied.customer),
        None => (None, None),
    };
    Ok(Quote {
        lines,
        charges: Charges {
            shipping_cents: priced.shipping_cents,
            shipping_tax_cents: priced.shipping_tax_cents,
            prices_include_tax: terms.prices_include_tax,
            discount_code,
            discount_customer,
            shipping_method: match delivery {
                Delivery::Free => None,
                Delivery::By(method) => Some(MethodRef {
                    id: method.id,
                    name: method.name,
                }),
            },
            total_cents: priced.total_cents,
        },
        offers: shop.offers(&region).unwrap_or_default(),
    })
}

/// A quote as the API shows it: the order's money fields and lines, and the methods that ship
/// to the address.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteView {
    pub items: Vec<Line>,
    #[serde(flatten)]
    pub totals: Totals,
    pub shipping_methods: Vec<MethodOffer>,
}

/// `{"quote": ...}`.
#[derive(Debug, Serialize)]
pub struct QuoteEnvelope {
    pub quote: QuoteView,
}

impl Quote {
    pub fn view(&self, currency: &str) -> QuoteView {
        QuoteView {
            items: self.lines.clone(),
            totals: Totals::of(&self.lines, &self.charges, currency),
            shipping_methods: self.offers.clone(),
        }
    }

    /// `409 price_changed`, carrying this quote: the client expected `expected`.
    pub fn changed(&self, currency: &str) -> ApiError {
        let quote = serde_json::to_value(self.view(currency)).unwrap_or_default();
        ApiError::PriceChanged {
            quote: Box::new(quote),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shop::model::{Method, Settings, Zone};

    fn line(unit: i64, quantity: i64) -> Line {
        Line {
            product_id: "p".into(),
            variant_id: "v".into(),
            sku: "SKU".into(),
            name: "Mug".into(),
            options: Default::default(),
            unit_price_cents: unit,
            quantity,
            line_total_cents: unit * quantity,
            discount_cents: 0,
            tax_cents: 0,
            refunded_quantity: 0,
            returned_quantity: 0,
        }
    }

    fn destination(json: &str) -> Destination {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_quote_prices_shipping_tax_and_discount_and_its_totals_add_up() {
        let shop = Snapshot {
            zones: vec![Zone {
                id: "us".into(),
                name: "US".into(),
                regions: vec!["US".into()],
                methods: vec![Method {
                    id: "ground".into(),
                    name: "Ground".into(),
                    price_cents: 500,
                    per_kg_cents: 200,
                    free_over_cents: Some(10_000),
                }],
            }],
            rates: [("US-CA".to_owned(), 725)].into(),
            settings: Settings::default(),
        };
        let applied = Applied {
            code: "TEN".into(),
            discount: Discount::Percent(10),
            customer: Some("c".into()),
        };
        let quote = price(
            vec![line(2000, 2), line(1000, 1)],
            &[600, 300],
            &shop,
            &destination(r#"{"country": "us", "region": "ca"}"#),
            None,
            Some(applied),
        )
        .unwrap();
        let totals = quote.view("USD").totals;
        // 5000 − 500 (400 + 100); 1.5 kg is two started kilograms: 500 + 400; 7.25 % of
        // 3600, 900 and the shipping's 900.
        assert_eq!((totals.subtotal_cents, totals.discount_cents), (5000, 500));
        assert_eq!(totals.shipping_cents, 900);
        assert_eq!(totals.tax_cents, 261 + 65 + 65);
        assert_eq!(totals.total_cents, 5000 - 500 + 900 + 391);
        assert_eq!(totals.discount_code.as_deref(), Some("TEN"));
        assert_eq!(
            totals.shipping_method.map(|m| m.id),
            Some("ground".to_owned())
        );
        assert_eq!(quote.offers.len(), 1);
        let unserved = price(
            vec![line(2000, 1)],
            &[0],
            &shop,
            &destination(r#"{"country": "DE"}"#),
            None,
            None,
        );
        assert_eq!(
            unserved.unwrap_err().code(),
            crate::error::ErrorCode::ShippingUnavailable
        );
    }
}
