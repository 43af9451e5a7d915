//! Orders: what a checkout asks for (valid by construction), the stored order, its public view.

use serde::{Deserialize, Serialize};

use super::keys;
pub use super::money::{Charges, MethodRef, Totals};
use super::state::OrderStatus;
use crate::clock::rfc3339;
use crate::discounts::model::Code;
use crate::ids::Id;
use crate::shop::model::Slug;
use crate::shop::regions::Region;
use crate::values::{parsed_from_text, whole_number_in};

/// The most lines one order may have. Its transaction holds at most 100 writes: the order, the
/// customer's count of unpaid orders, per line its product's stock and its movement in the
/// ledger, with room for what else an order's transaction carries.
pub const MAX_LINES: usize = 40;

/// Units of one product in one order: 1–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(i64);

whole_number_in!(Quantity, 1, 100);

/// One line of a checkout: a variant, or a single-variant product.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    #[serde(default)]
    pub variant_id: Option<Id>,
    #[serde(default)]
    pub product_id: Option<Id>,
    pub quantity: Quantity,
}

/// A line of an address: 1–200 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct AddressLine(String);

impl AddressLine {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        crate::text::single_line(raw, 200).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
parsed_from_text!(AddressLine);

/// A postal code: 1–20 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PostalCode(String);

impl PostalCode {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        crate::text::single_line(raw, 20).map(Self)
    }
}
parsed_from_text!(PostalCode);

/// A country: an ISO 3166-1 alpha-2 code, upper-cased (`DE`, `US`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Country(String);

impl Country {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code = raw.trim().to_ascii_uppercase();
        if crate::shop::regions::is_country(&code) {
            Ok(Self(code))
        } else {
            Err("must be a country's ISO 3166-1 alpha-2 code")
        }
    }
}
parsed_from_text!(Country);

/// An address's subdivision: its ISO 3166-2 code without the country (`CA` in the US), 1–3
/// letters or digits, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Subdivision(String);

impl Subdivision {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code = raw.trim().to_ascii_uppercase();
        if crate::shop::regions::is_subdivision(&code) {
            Ok(Self(code))
        } else {
            Err("must be an ISO 3166-2 subdivision code without the country (CA, BY)")
        }
    }
}
parsed_from_text!(Subdivision);

/// Where a quote ships to: a country, and the subdivision where it matters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    pub country: Country,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Subdivision>,
}

impl Destination {
    /// The most specific region the shop's zones and rates may name.
    pub fn region(&self) -> Region {
        Region::of(&self.country.0, self.region.as_ref().map(|r| r.0.as_str()))
    }
}

/// Where an order goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingAddress {
    pub name: AddressLine,
    pub line1: AddressLine,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<AddressLine>,
    pub city: AddressLine,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Subdivision>,
    pub postal_code: PostalCode,
    pub country: Country,
}

impl ShippingAddress {
    pub fn destination(&self) -> Destination {
        Destination {
            country: self.country.clone(),
            region: self.region.clone(),
        }
    }
}

/// An order's total as a client expects it: 0 to 10^12 cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedTotal(i64);

whole_number_in!(ExpectedTotal, 0, 1_000_000_000_000);

/// `POST /orders`'s body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    pub items: Vec<NewLine>,
    pub shipping_address: ShippingAddress,
    #[serde(default)]
    pub shipping_method_id: Option<Slug>,
    #[serde(default)]
    pub discount_code: Option<Code>,
    #[serde(default)]
    pub expected_total_cents: Option<ExpectedTotal>,
    /// A guest's email (no account): whom the order is for and where its emails go.
    #[serde(default)]
    pub email: Option<crate::accounts::model::Email>,
}

/// `POST /checkout/quote`'s body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    pub items: Vec<NewLine>,
    pub shipping_address: Destination,
    #[serde(default)]
    pub shipping_method_id: Option<Slug>,
    #[serde(default)]
    pub discount_code: Option<Code>,
}

impl crate::http::Input for QuoteRequest {
    const REQUIRED: &'static [&'static str] = &["items", "shipping_address"];
}

impl crate::http::Input for NewOrder {
    const REQUIRED: &'static [&'static str] = &["items", "shipping_address"];
}

/// `POST /admin/orders/{id}/ship`'s body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    pub tracking_number: AddressLine,
}

impl crate::http::Input for Shipment {
    const REQUIRED: &'static [&'static str] = &["tracking_number"];
}

/// A line of an order: the variant as it was sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub product_id: String,
    /// Empty on lines sold before variants: the product's default variant, whose id is the
    /// product's (see [`Line::variant`]).
    #[serde(default)]
    pub variant_id: String,
    pub sku: String,
    pub name: String,
    #[serde(default)]
    pub options: std::collections::BTreeMap<String, String>,
    pub unit_price_cents: i64,
    pub quantity: i64,
    pub line_total_cents: i64,
    /// The line's share of the order's discount.
    #[serde(default)]
    pub discount_cents: i64,
    /// The tax of the line after its discount (added, or held in its price).
    #[serde(default)]
    pub tax_cents: i64,
    /// Units whose paid share a refund gave back (shown once there are any).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refunded_quantity: i64,
    /// Units a return asked for or received (a rejected return's come off again).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub returned_quantity: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl Line {
    /// The variant the line sold.
    pub fn variant(&self) -> &str {
        if self.variant_id.is_empty() {
            &self.product_id
        } else {
            &self.variant_id
        }
    }
}

/// The payment of an order, as the provider reported it last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub provider: String,
    pub payment_intent_id: String,
    /// What the shop's front end confirms the payment with (Stripe.js); only its owner sees it.
    pub client_secret: String,
    /// The provider's status (`requires_payment_method`, `succeeded`, `payment_failed`, ...).
    pub status: String,
}

/// An order's payment as its view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentView {
    pub provider: String,
    pub payment_intent_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub status: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// A refund is not settled yet.
    Pending,
    /// Refunds that did not fail give back less than the total.
    Partial,
    /// They give back the whole total.
    Full,
    /// Every refund failed: the money is still owed (an alarm says so).
    Failed,
}

/// An order as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub gsi2pk: String,
    pub gsi2sk: String,
    pub gsi3pk: String,
    pub gsi3sk: String,
    pub id: String,
    /// Empty for a guest's order (until the account of its email signs in).
    pub user_id: String,
    /// A guest's email (a customer's is the account's, read where it is needed).
    #[serde(default)]
    pub email: String,
    /// Whose count of unpaid orders the order holds (a guest's email's); the user's if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    /// A guest order's token: its SHA-256, and a copy sealed for the confirmation email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_sealed: Option<String>,
    pub status: OrderStatus,
    pub lines: Vec<Line>,
    pub total_cents: i64,
    pub currency: String,
    #[serde(default)]
    pub shipping_cents: i64,
    #[serde(default)]
    pub shipping_tax_cents: i64,
    /// Σ of the lines' discounts and the whole tax, kept beside the lines so that the
    /// dashboard reads them without the lines.
    #[serde(default)]
    pub discount_cents: i64,
    #[serde(default)]
    pub tax_cents: i64,
    #[serde(default)]
    pub prices_include_tax: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_customer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_method: Option<MethodRef>,
    pub shipping_address: ShippingAddress,
    pub payment: Payment,
    /// What the refunds that did not fail give back, pending ones included: never more than
    /// was paid (see `refunds`).
    #[serde(default)]
    pub refunded_cents: i64,
    #[serde(default)]
    pub refunds_pending: i64,
    #[serde(default)]
    pub refunds_failed: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// When it was delivered: returns may be asked for within 30 days of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<i64>,
    /// The id of the last move applied (see `repo::apply`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_move: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
}

impl OrderItem {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: &Id,
        user_id: &str,
        lines: Vec<Line>,
        charges: Charges,
        currency: &str,
        shipping_address: ShippingAddress,
        payment: Payment,
        now: i64,
        expires_at: i64,
    ) -> Self {
        let id = id.as_str();
        let totals = Totals::of(&lines, &charges, currency);
        Self {
            pk: keys::order(id),
            sk: keys::ORDER_SK.to_owned(),
            gsi1pk: keys::customer(user_id),
            gsi1sk: id.to_owned(),
            gsi2pk: keys::status(OrderStatus::PendingPayment),
            gsi2sk: keys::status_sort_key(OrderStatus::PendingPayment, id, expires_at),
            gsi3pk: keys::ALL.to_owned(),
            gsi3sk: id.to_owned(),
            id: id.to_owned(),
            user_id: user_id.to_owned(),
            email: String::new(),
            holder: None,
            token_hash: None,
            token_sealed: None,
            status: OrderStatus::PendingPayment,
            total_cents: charges.total_cents,
            lines,
            currency: currency.to_owned(),
            shipping_cents: charges.shipping_cents,
            shipping_tax_cents: charges.shipping_tax_cents,
            discount_cents: totals.discount_cents,
            tax_cents: totals.tax_cents,
            prices_include_tax: charges.prices_include_tax,
            discount_code: charges.discount_code,
            discount_customer: charges.discount_customer,
            shipping_method: charges.shipping_method,
            shipping_address,
            payment,
            refunded_cents: 0,
            refunds_pending: 0,
            refunds_failed: 0,
            tracking_number: None,
            delivered_at: None,
            last_move: None,
            created_at: now,
            updated_at: now,
            expires_at,
        }
    }

    /// Whose count of unpaid orders this order holds.
    pub fn holder(&self) -> &str {
        self.holder.as_deref().unwrap_or(&self.user_id)
    }

    /// Makes this a guest's order: counted by `email`, listed under it until its account
    /// signs in, opened by the token whose hash and sealed copy are given.
    pub fn for_guest(&mut self, email: &str, email_key: &str, hash: String, sealed: String) {
        self.user_id = String::new();
        self.email = email.to_owned();
        self.holder = Some(super::guest::holder(email_key));
        self.gsi1pk = keys::guest(email_key);
        self.token_hash = Some(hash);
        self.token_sealed = Some(sealed);
    }

    /// What the order costs beyond its lines, as priced.
    pub fn charges(&self) -> Charges {
        Charges {
            shipping_cents: self.shipping_cents,
            shipping_tax_cents: self.shipping_tax_cents,
            prices_include_tax: self.prices_include_tax,
            discount_code: self.discount_code.clone(),
            discount_customer: self.discount_customer.clone(),
            shipping_method: self.shipping_method.clone(),
            total_cents: self.total_cents,
        }
    }

    /// The public view, as `viewer` (a user id) sees it: the payment's client secret is its
    /// owner's only, not shown to an admin reading someone else's order.
    pub fn view(&self, viewer: &str) -> Order {
        self.shown(!self.user_id.is_empty() && viewer == self.user_id)
    }

    /// The view its guest sees, with the token: the client secret included.
    pub fn guest_view(&self) -> Order {
        self.shown(true)
    }

    fn shown(&self, owner: bool) -> Order {
        Order {
            id: self.id.clone(),
            user_id: (!self.user_id.is_empty()).then(|| self.user_id.clone()),
            email: (!self.email.is_empty()).then(|| self.email.clone()),
            customer_email: None,
            order_token: None,
            status: self.status,
            items: self
                .lines
                .iter()
                .map(|line| Line {
                    variant_id: line.variant().to_owned(),
                    ..line.clone()
                })
                .collect(),
            totals: Totals::of(&self.lines, &self.charges(), &self.currency),
            shipping_address: self.shipping_address.clone(),
            payment: PaymentView {
                provider: self.payment.provider.clone(),
                payment_intent_id: self.payment.payment_intent_id.clone(),
                client_secret: owner.then(|| self.payment.client_secret.clone()),
                status: self.payment.status.clone(),
            },
            refunded_cents: self.refunded_cents,
            refund_status: super::refunds::status_of(self),
            refunds: None,
            tracking_number: self.tracking_number.clone(),
            delivered_at: self.delivered_at.map(rfc3339),
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
            expires_at: rfc3339(self.expires_at),
        }
    }
}

impl Order {
    /// The view with the order's refunds, as the answers about one order show it.
    pub fn with_refunds(mut self, refunds: &[super::refunds::RefundItem]) -> Self {
        self.refunds = Some(refunds.iter().map(|r| r.view()).collect());
        self
    }
}

/// An order as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whose order it is, for the shop's staff and admins: a guest's email, or the account's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_email: Option<String>,
    /// A guest's order's token, in the checkout's answer only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_token: Option<String>,
    pub status: OrderStatus,
    pub items: Vec<Line>,
    #[serde(flatten)]
    pub totals: Totals,
    pub shipping_address: ShippingAddress,
    pub payment: PaymentView,
    pub refunded_cents: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_status: Option<RefundStatus>,
    /// Every refund of the order, oldest first: in the answers about one order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunds: Option<Vec<super::refunds::Refund>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub expires_at: String,
}

/// What one run of the expiry job did.
#[derive(Debug, Default, serde::Serialize)]
pub struct ExpiryRun {
    /// Orders moved to `expired`, their stock given back.
    pub expired: u64,
    /// Orders that another request moved first (paid or cancelled meanwhile).
    pub lost_races: u64,
    /// Orders listed as due whose own status cannot expire (an item edited by hand): logged
    /// and left, so that one such item cannot stop every later run.
    pub skipped: u64,
    /// Whether the run stopped for lack of time with due orders left for the next run.
    pub stopped_early: bool,
    /// The payment provider could not be reached to withdraw a payment; the run stopped trying.
    pub provider_down: bool,
}

/// The orders part of `GET /admin/stats`.
#[derive(Debug, serde::Serialize)]
pub struct OrderStats {
    /// Orders created since 00:00 UTC today.
    pub orders_today: u64,
    /// What today's orders that are paid, shipped or delivered brought in.
    pub revenue_today_cents: i64,
    /// Of that: the discounts taken off, the shipping charged, the tax.
    pub discount_today_cents: i64,
    pub shipping_today_cents: i64,
    pub tax_today_cents: i64,
    /// Every order, by status.
    pub orders_by_status: std::collections::BTreeMap<&'static str, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::request::parse_json;

    #[test]
    fn a_checkout_body_names_every_bad_field() {
        let body = br#"{"items": [{"product_id": "nope", "quantity": 0}],
            "shipping_address": {"name": "", "line1": "1 Main St", "city": "Berlin",
            "postal_code": "10115", "country": "Germany"}}"#;
        let Err(crate::ApiError::Validation(errors)) =
            parse_json::<NewOrder>(body, <NewOrder as crate::http::Input>::REQUIRED)
        else {
            panic!("a bad body must be refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.iter().any(|f| f.starts_with("items")), "{fields:?}");
        assert!(
            fields.iter().any(|f| f.starts_with("shipping_address")),
            "{fields:?}"
        );
    }

    #[test]
    fn quantities_and_countries_are_checked() {
        let line = |q: &str| {
            serde_json::from_str::<NewLine>(&format!(
                r#"{{"product_id": "01JD000000000000000000000A", "quantity": {q}}}"#
            ))
            .map(|l| l.quantity.get())
            .ok()
        };
        assert_eq!(line("1"), Some(1));
        assert_eq!(line("100"), Some(100));
        assert_eq!(line("101"), None);
        assert_eq!(line("0"), None);
        assert_eq!(line("1.5"), None);
        assert_eq!(Country::parse("de").ok(), Some(Country("DE".into())));
        assert!(Country::parse("DEU").is_err());
    }
}
