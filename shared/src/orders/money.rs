//! An order's money beyond its lines: what the pricing function charged (`Charges`, stored on
//! the order) and the totals an order and a quote show (`Totals`, summed from the lines).

use serde::{Deserialize, Serialize};

use super::model::Line;

/// A shipping method as an order names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodRef {
    pub id: String,
    pub name: String,
}

/// Everything an order costs beyond its lines' own figures, as the pricing function made it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charges {
    #[serde(default)]
    pub shipping_cents: i64,
    /// The part of the tax that is shipping's (the lines hold the rest).
    #[serde(default)]
    pub shipping_tax_cents: i64,
    #[serde(default)]
    pub prices_include_tax: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_code: Option<String>,
    /// Whose redemption of the code the order holds (see `discounts::keys::customer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_customer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_method: Option<MethodRef>,
    pub total_cents: i64,
}

/// The money fields an order and a quote show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub shipping_cents: i64,
    pub tax_cents: i64,
    pub total_cents: i64,
    pub currency: String,
    pub prices_include_tax: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_method: Option<MethodRef>,
}

impl Totals {
    /// The totals of `lines` with `charges`: every sum taken from the lines themselves.
    pub fn of(lines: &[Line], charges: &Charges, currency: &str) -> Self {
        Self {
            subtotal_cents: lines.iter().map(|l| l.line_total_cents).sum(),
            discount_cents: lines.iter().map(|l| l.discount_cents).sum(),
            shipping_cents: charges.shipping_cents,
            tax_cents: lines.iter().map(|l| l.tax_cents).sum::<i64>() + charges.shipping_tax_cents,
            total_cents: charges.total_cents,
            currency: currency.to_owned(),
            prices_include_tax: charges.prices_include_tax,
            discount_code: charges.discount_code.clone(),
            shipping_method: charges.shipping_method.clone(),
        }
    }
}
