//! Each invocation's event: the subject's sample, edited with what [`Prepare`] asks for.

use anyhow::Result;
use bytes::Bytes;
use serde_json::{Value, json};
use shared::orders::state::OrderStatus;
use shared::payments::PaymentProvider as _;

use super::shop::Shop;
use super::subjects::{PASSWORD, Prepare, REPORT_DAY, REPORT_RUN, Subject};

impl Shop {
    /// The event of the next invocation of `subject`, made from its sample; `previous` is the
    /// subject's last answer (a refresh token's successor is in it).
    pub async fn event(
        &mut self,
        subject: &Subject,
        sample: &Value,
        previous: Option<&Bytes>,
    ) -> Result<Bytes> {
        self.serial += 1;
        let n = self.serial;
        let mut event = sample.clone();
        // A replayed key would measure the idempotency store, not the work.
        if event["headers"].get("idempotency-key").is_some() {
            header(&mut event, "idempotency-key", &format!("bench-{n}"));
        }
        let customer = format!("Bearer {}", self.customer.token);
        let admin = format!("Bearer {}", self.admin_token);
        match subject.prepare {
            Prepare::Nothing => {}
            Prepare::Register => {
                // Ten accounts an hour per client network: each from its own.
                from_client(&mut event, n);
                body(
                    &mut event,
                    json!({"email": format!("bench-{n}@example.com"), "password": PASSWORD, "name": "Bench"}),
                );
            }
            Prepare::Login => body(
                &mut event,
                json!({"email": self.customer.email, "password": PASSWORD}),
            ),
            Prepare::Refresh => {
                let token = match previous.and_then(refresh_token_in) {
                    Some(token) => token,
                    None => self.login().await?.1,
                };
                body(&mut event, json!({ "refresh_token": token }));
            }
            Prepare::Logout => {
                let (access, refresh) = self.login().await?;
                header(&mut event, "authorization", &format!("Bearer {access}"));
                body(&mut event, json!({ "refresh_token": refresh }));
            }
            Prepare::PasswordReset => body(
                &mut event,
                json!({"email": format!("nobody-{n}@example.com")}),
            ),
            Prepare::Mail => {
                let mut record = event["Records"][0].clone();
                record["messageId"] = Value::from(format!("bench-{n}"));
                record["body"] = Value::from(
                    json!({"kind": "password_reset", "email": "bench-reset@example.com"})
                        .to_string(),
                );
                event["Records"] = json!([record]);
            }
            Prepare::PasswordResetConfirm => {
                let token = self.reset_token().await?;
                body(
                    &mut event,
                    json!({"token": token, "password": format!("a new long password {n}")}),
                );
            }
            Prepare::AsCustomer => header(&mut event, "authorization", &customer),
            Prepare::UpdateMe => {
                header(&mut event, "authorization", &customer);
                body(
                    &mut event,
                    json!({"name": format!("Bench Customer {}", n % 10)}),
                );
            }
            Prepare::SetRole => {
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &self.other_user.clone());
                let role = if n.is_multiple_of(2) {
                    "admin"
                } else {
                    "customer"
                };
                body(&mut event, json!({ "role": role }));
            }
            Prepare::ProductsGet => path(&mut event, "id", &self.product_id.clone()),
            Prepare::ProductsCreate => {
                header(&mut event, "authorization", &admin);
                body(
                    &mut event,
                    json!({"sku": format!("BENCH-NEW-{n}"), "name": "Benchmark mug",
                        "description": "Stoneware, 350 ml.", "price_cents": 1490,
                        "category": "mugs", "stock": 25}),
                );
            }
            Prepare::ProductsUpdate => {
                header(&mut event, "authorization", &admin);
                remove_header(&mut event, "if-match");
                path(&mut event, "id", &self.updated_product.clone());
                body(&mut event, json!({"price_cents": 1490 + (n % 10) as i64}));
            }
            Prepare::VariantsCreate => {
                let id = self.sized(&format!("BENCH-SIZED-{n}")).await?;
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &id);
                body(
                    &mut event,
                    json!({"sku": format!("BENCH-SIZED-{n}-M"), "options": {"Size": "M"},
                        "price_cents": 1990, "stock": 10}),
                );
            }
            Prepare::VariantsUpdate => {
                // A simple product's one variant has the product's id.
                let id = self.updated_product.clone();
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &id);
                path(&mut event, "variant_id", &id);
                body(&mut event, json!({"weight_grams": 300 + (n % 10) as i64}));
            }
            Prepare::VariantsStock => {
                let id = self.updated_product.clone();
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &id);
                path(&mut event, "variant_id", &id);
            }
            Prepare::InventoryMovements => {
                header(&mut event, "authorization", &admin);
                path(&mut event, "variant_id", &self.updated_product.clone());
            }
            Prepare::ProductsDelete => {
                let id = self.product(&format!("BENCH-GONE-{n}"), 1).await?;
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &id);
            }
            Prepare::ProductImages => {
                let id = self.product(&format!("BENCH-PICTURED-{n}"), 1).await?;
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &id);
            }
            Prepare::Image => {
                let key = self.upload(n).await?;
                let object = &mut event["Records"][0]["s3"];
                object["bucket"]["name"] = Value::from(self.uploads_bucket.clone());
                object["object"]["key"] = Value::from(key);
                object["object"]["size"] = Value::from(self.jpeg.len());
            }
            Prepare::OrdersCreate => {
                header(&mut event, "authorization", &customer);
                let items: Vec<Value> = self
                    .cart
                    .iter()
                    .map(|id| json!({"product_id": id, "quantity": 1}))
                    .collect();
                let mut order: Value =
                    serde_json::from_str(event["body"].as_str().unwrap_or("{}"))?;
                order["items"] = Value::Array(items);
                body(&mut event, order);
            }
            Prepare::OrdersGet => {
                header(&mut event, "authorization", &customer);
                path(&mut event, "id", &self.order_id.clone());
            }
            Prepare::OrdersTimeline => {
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &self.order_id.clone());
            }
            Prepare::OrdersCancel => {
                let id = shared::ids::Id::new().to_string();
                let intent = self
                    .stripe
                    .create_intent(&id, self.total(), "EUR")
                    .await
                    .map_err(|e| anyhow::anyhow!("localstripe: {e}"))?;
                self.put_order(&id, OrderStatus::PendingPayment, Some(&intent.id))
                    .await?;
                header(&mut event, "authorization", &customer);
                path(&mut event, "id", &id);
            }
            Prepare::AsAdmin => header(&mut event, "authorization", &admin),
            Prepare::AdminOrdersShip => {
                let id = self.order(OrderStatus::Paid, None).await?;
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &id);
            }
            Prepare::OrdersRefund => {
                let id = shared::ids::Id::new().to_string();
                let intent = self.paid_intent(&id).await?;
                self.put_order(&id, OrderStatus::Paid, Some(&intent))
                    .await?;
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &id);
                let line = json!({"variant_id": self.cart[0], "quantity": 1});
                body(
                    &mut event,
                    json!({"lines": [line], "restock": true, "reason": "benchmark"}),
                );
            }
            Prepare::ReturnsCreate => {
                let id = self.order(OrderStatus::Delivered, None).await?;
                header(&mut event, "authorization", &customer);
                path(&mut event, "id", &id);
                let line = json!({"variant_id": self.cart[0], "quantity": 1});
                body(&mut event, json!({"lines": [line], "reason": "benchmark"}));
            }
            Prepare::CustomersGet => {
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &self.customer.id.clone());
            }
            Prepare::ReturnsHandle => {
                let id = self.returned().await?;
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &id);
            }
            Prepare::AdminOrdersDeliver => {
                let id = self.order(OrderStatus::Shipped, None).await?;
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &id);
            }
            Prepare::PaymentsWebhook => {
                let intent = format!("pi_bench_{n}");
                let id = self
                    .order(OrderStatus::PendingPayment, Some(&intent))
                    .await?;
                let payload = json!({
                    "id": format!("evt_bench_{n}"),
                    "type": "payment_intent.succeeded",
                    "data": {"object": {"id": intent, "amount": self.total(), "currency": "eur",
                        "status": "succeeded", "metadata": {"order_id": id}}}
                })
                .to_string();
                let signature = sign(&self.webhook_secret, &payload)?;
                header(&mut event, "stripe-signature", &signature);
                event["body"] = Value::from(payload);
                event["isBase64Encoded"] = Value::from(false);
            }
            Prepare::Reports => event = serde_json::from_str(REPORT_RUN)?,
            Prepare::AdminReports => {
                header(&mut event, "authorization", &admin);
                path(&mut event, "date", REPORT_DAY);
            }
            Prepare::Contact => from_client(&mut event, n),
            Prepare::CheckoutQuote => {
                let items: Vec<Value> = self
                    .cart
                    .iter()
                    .map(|id| json!({"product_id": id, "quantity": 1 + n % 3}))
                    .collect();
                body(
                    &mut event,
                    json!({"items": items, "shipping_address": {"country": "DE"}}),
                );
            }
            Prepare::ShippingZonesDelete => {
                // A zone of its own, shipping to a subdivision no other zone names.
                let id = format!("bench-gone-{n}");
                let zone = shared::shop::model::Zone {
                    id: id.clone(),
                    name: "Benchmark zone".to_owned(),
                    regions: vec![format!("US-{}", subdivision(n))],
                    methods: Vec::new(),
                };
                let now = shared::clock::now();
                let seeder = self.seeding_admin();
                let act = shared::audit::Act::new(&seeder, "bench.seed");
                shared::shop::repo::put_zone(&self.table, &zone, None, act, now)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot make a zone: {e}"))?;
                header(&mut event, "authorization", &admin);
                path(&mut event, "zone_id", &id);
            }
            Prepare::TaxRatesDelete => {
                let rate = shared::shop::model::TaxRate {
                    region: "US-CA".to_owned(),
                    rate_bps: 725,
                };
                let seeder = self.seeding_admin();
                let act = shared::audit::Act::new(&seeder, "bench.seed");
                let now = shared::clock::now();
                shared::shop::repo::put_rate(&self.table, &rate, None, act, now)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot set a rate: {e}"))?;
                header(&mut event, "authorization", &admin);
            }
            Prepare::DiscountsCreate => {
                header(&mut event, "authorization", &admin);
                body(
                    &mut event,
                    json!({"code": format!("BENCH-{n}"), "kind": "percent", "value": 10,
                        "max_redemptions": 100, "max_per_customer": 1}),
                );
            }
            Prepare::DiscountsUpdate => {
                let code = format!("BENCH-EDIT-{n}");
                let new: shared::discounts::model::NewDiscount =
                    serde_json::from_value(json!({"code": code, "kind": "fixed", "value": 500}))?;
                let now = shared::clock::now();
                let id = shared::ids::Id::new().to_string();
                let item = shared::discounts::model::DiscountItem::new(new, &id, now)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let seeder = self.seeding_admin();
                let act = shared::audit::Act::new(&seeder, "bench.seed");
                shared::discounts::repo::create(&self.table, &item, act, now)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot make a code: {e}"))?;
                header(&mut event, "authorization", &admin);
                path(&mut event, "code", &code);
            }
        }
        Ok(Bytes::from(event.to_string()))
    }
}

/// `n` as a subdivision code of its own: up to three base-36 digits.
fn subdivision(n: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut n = n % (36 * 36 * 36);
    let mut code = Vec::new();
    loop {
        code.push(DIGITS[n % 36]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    code.reverse();
    String::from_utf8(code).unwrap_or_default()
}

/// The event as sent from a client address of its own (the `n`th), for the routes limited per
/// client.
fn from_client(event: &mut Value, n: usize) {
    let ip = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
    event["requestContext"]["http"]["sourceIp"] = Value::from(ip);
}

fn header(event: &mut Value, name: &str, value: &str) {
    event["headers"][name] = Value::from(value);
}

fn remove_header(event: &mut Value, name: &str) {
    if let Some(headers) = event["headers"].as_object_mut() {
        headers.remove(name);
    }
}

fn body(event: &mut Value, body: Value) {
    event["body"] = Value::from(body.to_string());
    event["isBase64Encoded"] = Value::from(false);
}

/// Sets a path parameter, and the raw path with it (the sample's value replaced).
fn path(event: &mut Value, name: &str, value: &str) {
    if let Some(old) = event["pathParameters"][name].as_str().map(str::to_owned)
        && let Some(raw) = event["rawPath"].as_str()
    {
        event["rawPath"] = Value::from(raw.replace(&old, value));
    }
    event["pathParameters"][name] = Value::from(value);
}

/// The refresh token in a login's or refresh's answer.
fn refresh_token_in(reply: &Bytes) -> Option<String> {
    let reply: Value = serde_json::from_slice(reply).ok()?;
    let body: Value = serde_json::from_str(reply["body"].as_str()?).ok()?;
    body["refresh_token"].as_str().map(str::to_owned)
}

/// A `Stripe-Signature` header for `payload`, as Stripe signs a delivery now.
fn sign(secret: &str, payload: &str) -> Result<String> {
    use hmac::{KeyInit as _, Mac as _};
    let t = shared::clock::now();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|_| anyhow::anyhow!("an HMAC key of any length"))?;
    mac.update(format!("{t}.{payload}").as_bytes());
    Ok(format!(
        "t={t},v1={}",
        shared::auth::tokens::hex(&mac.finalize().into_bytes())
    ))
}
