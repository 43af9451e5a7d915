//! The shop the benchmark seeds and acts on: customers, products, orders of every state, a day
//! of orders to report, and the helpers that make what one invocation consumes.

use crate::local::provision::Clients;
use crate::local::template::Template;
use anyhow::{Context as _, Result};
use serde_json::{Value, json};
use shared::accounts::Accounts;
use shared::auth::Role;
use shared::auth::jwt::TokenIssuer;
use shared::catalog::Catalog;
use shared::db::Table;
use shared::orders::model::{Line, OrderItem, Payment, ShippingAddress};
use shared::orders::returns::ReturnItem;
use shared::orders::state::OrderStatus;
use shared::payments::PaymentProvider as _;
use shared::payments::stripe::Stripe;

use super::subjects::{CHECKOUT_LINES, PASSWORD, REPORT_DAY_START_MS, REPORT_ORDERS};

pub(super) struct Person {
    pub(super) id: String,
    pub(super) email: String,
    pub(super) token: String,
}

/// The shop the benchmark's requests act on, and what it takes to make them.
pub struct Shop {
    pub(super) table: Table,
    pub(super) dynamodb: aws_sdk_dynamodb::Client,
    pub(super) s3: aws_sdk_s3::Client,
    pub(super) accounts: Accounts,
    /// The mail queue a login tells an owner through.
    pub(super) mail: shared::mail::MailQueue,
    pub(super) catalog: Catalog,
    pub(super) issuer: TokenIssuer,
    pub(super) customer: Person,
    /// The account whose password the reset functions change (the customer's stays).
    pub(super) resetting: String,
    pub(super) admin_token: String,
    /// The account whose role the admin changes.
    pub(super) other_user: String,
    pub product_id: String,
    /// The product the update function changes (the read one stays as it is).
    pub(super) updated_product: String,
    pub(super) cart: Vec<String>,
    pub(super) order_id: String,
    pub(super) webhook_secret: String,
    pub(super) stripe: Stripe,
    /// localstripe itself, where the benchmark pays the orders it refunds.
    pub(super) stripe_url: String,
    pub(super) uploads_bucket: String,
    pub(super) jpeg: Vec<u8>,
    /// Tells each request its own email, SKU, key or address.
    pub(super) serial: usize,
}

impl Shop {
    pub async fn seed(template: &Template, clients: &Clients, stripe_url: &str) -> Result<Self> {
        let table_name = &template
            .tables
            .first()
            .context("the template has no table")?
            .name;
        let table = Table::new(clients.dynamodb.clone(), table_name);
        let config = shared::Config::from_lookup(|name| {
            (name == "IMAGES_BASE_URL").then(|| "http://127.0.0.1/images".to_owned())
        })?;
        let accounts = Accounts::new(table.clone(), &config);
        let catalog = Catalog::new(table.clone(), &config)?;
        let secret = |part: &str| {
            template
                .secrets
                .iter()
                .find(|s| s.name.contains(part))
                .map(|s| s.name.clone())
                .with_context(|| format!("the template has no secret named *{part}*"))
        };
        let source = |part: &str| {
            let arn = secret(part)?;
            let client = clients.secrets.clone();
            anyhow::Ok(shared::env::SecretSource::Manager { client, arn })
        };
        let keys_text = source("-keys")?.read().await?;
        // The bench's tokens outlive the run (an hour and more on a busy machine): the
        // functions check a token's signature and expiry, not how long it was issued for.
        let mut tokens = config.tokens.clone();
        tokens.ttl_secs = 24 * 3600;
        let issuer = shared::secrets::Keys::parse("keys", &keys_text, tokens)?.issuer();
        let webhook: Value = source("-stripe-webhook")?.read_json().await?;
        let webhook_secret = webhook["current"]
            .as_str()
            .context("the webhook secret has no current value")?
            .to_owned();
        // The shop's own Stripe client, built from its secret as the functions build it.
        let stripe = Stripe::load(&source("-stripe-key")?, stripe_url).await?;
        let mail_queue = template
            .queues
            .iter()
            .find(|q| q.logical_id == "MailQueue")
            .context("the template has no MailQueue")?;
        let mail = shared::mail::MailQueue::new(clients.sqs.clone(), mail_queue.url.clone());
        let uploads_bucket = template
            .buckets
            .iter()
            .find(|b| b.name.contains("-uploads"))
            .context("the template has no uploads bucket")?
            .name
            .clone();

        let now = shared::clock::now();
        let register = |email: &'static str| {
            let accounts = &accounts;
            async move {
                let registration = serde_json::from_value(
                    json!({"email": email, "password": PASSWORD, "name": "Bench"}),
                )?;
                let user = accounts
                    .register(registration, "192.0.2.1", now)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot register {email}: {e}"))?;
                anyhow::Ok(user.id)
            }
        };
        let customer_id = register("bench-customer@example.com").await?;
        let resetting = register("bench-reset@example.com").await?;
        let other_user = register("bench-other@example.com").await?;
        let admin = match accounts
            .ensure_admin(
                "bench-admin@example.com",
                PASSWORD,
                "Bench Admin",
                false,
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("cannot make the admin: {e}"))?
        {
            shared::accounts::service::AdminEnsured::Created(user)
            | shared::accounts::service::AdminEnsured::Promoted(user)
            | shared::accounts::service::AdminEnsured::AlreadyAdmin(user) => user.id,
        };

        let mut shop = Self {
            dynamodb: clients.dynamodb.clone(),
            s3: clients.s3.clone(),
            customer: Person {
                token: issuer.issue(&customer_id, Role::Customer, now),
                id: customer_id,
                email: "bench-customer@example.com".to_owned(),
            },
            resetting,
            admin_token: issuer.issue(&admin, Role::Admin, now),
            other_user,
            issuer,
            accounts,
            mail,
            catalog,
            table,
            product_id: String::new(),
            updated_product: String::new(),
            cart: Vec::new(),
            order_id: String::new(),
            webhook_secret,
            stripe,
            stripe_url: stripe_url.to_owned(),
            uploads_bucket,
            jpeg: jpeg(800, 600)?,
            serial: 0,
        };
        shop.product_id = shop.product("BENCH-1", 10).await?;
        shop.updated_product = shop.product("BENCH-UPDATED", 10).await?;
        for line in 0..CHECKOUT_LINES {
            let id = shop
                .product(&format!("BENCH-CART-{line}"), 1_000_000)
                .await?;
            shop.cart.push(id);
        }
        shop.order_id = shop.order(OrderStatus::Paid, None).await?;
        shop.day_of_orders().await?;
        Ok(shop)
    }

    /// The products a checkout buys (a million in stock each).
    pub fn cart(&self) -> &[String] {
        &self.cart
    }

    pub fn customer_email(&self) -> &str {
        &self.customer.email
    }

    pub fn customer_token(&self) -> &str {
        &self.customer.token
    }

    /// Every seeded account's password.
    pub fn password(&self) -> &str {
        PASSWORD
    }

    pub(super) async fn product(&self, sku: &str, stock: i64) -> Result<String> {
        let fields: shared::catalog::model::ProductFields = serde_json::from_value(json!({
            "sku": sku, "name": "Benchmark mug", "description": "A product for the benchmark.",
            "price_cents": 1490, "category": "mugs", "stock": stock, "active": true
        }))?;
        let product = self
            .catalog
            .create(&self.seeding_admin(), fields, shared::clock::now())
            .await
            .map_err(|e| anyhow::anyhow!("cannot seed a product: {e}"))?;
        Ok(product.product.id)
    }

    /// A product in sizes S and M, with its S variant only.
    pub(super) async fn sized(&self, sku: &str) -> Result<String> {
        let fields: shared::catalog::model::ProductFields = serde_json::from_value(json!({
            "name": "Benchmark tee", "category": "shirts",
            "options": [{"name": "Size", "values": ["S", "M"]}],
            "variants": [{"sku": format!("{sku}-S"), "options": {"Size": "S"},
                "price_cents": 1990, "stock": 10}]
        }))?;
        let product = self
            .catalog
            .create(&self.seeding_admin(), fields, shared::clock::now())
            .await
            .map_err(|e| anyhow::anyhow!("cannot seed a product: {e}"))?;
        Ok(product.product.id)
    }

    pub(super) fn seeding_admin(&self) -> shared::auth::Principal {
        shared::auth::Principal {
            user_id: "bench-seed".to_owned(),
            role: shared::auth::Role::Admin,
            issued_at: shared::clock::now(),
        }
    }

    /// A login of the customer: its access and refresh tokens.
    pub(super) async fn login(&self) -> Result<(String, String)> {
        let pair = self
            .accounts
            .login(
                &self.issuer,
                (&self.customer.email, PASSWORD),
                "192.0.2.1",
                &self.mail,
                shared::clock::now(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("cannot log in: {e}"))?;
        Ok((pair.access_token, pair.refresh_token))
    }

    /// A fresh reset token of the resetting account, as its email carries it.
    pub(super) async fn reset_token(&self) -> Result<String> {
        let mail = self
            .accounts
            .password_reset_email("bench-reset@example.com", shared::clock::now())
            .await
            .map_err(|e| anyhow::anyhow!("cannot make a reset token: {e}"))?
            .with_context(|| format!("no reset mail for {}", self.resetting))?;
        mail.text
            .split_once("token=")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .map(str::to_owned)
            .context("the reset mail carries no token")
    }

    /// A pending image of a new product, its JPEG uploaded: the object key.
    pub(super) async fn upload(&self, n: usize) -> Result<String> {
        let product = self.product(&format!("BENCH-IMAGE-{n}"), 1).await?;
        let id = shared::ids::Id::parse(&product).context("a product id is an id")?;
        let uploads = shared::catalog::service::Uploads {
            s3: self.s3.clone(),
            bucket: self.uploads_bucket.clone(),
        };
        let image = serde_json::from_value(
            json!({"content_type": "image/jpeg", "content_length": self.jpeg.len()}),
        )?;
        let upload = self
            .catalog
            .add_image(
                &self.seeding_admin(),
                &uploads,
                &id,
                image,
                shared::clock::now(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("cannot add an image: {e}"))?;
        let key = shared::catalog::keys::upload(&product, &upload.image_id);
        self.s3
            .put_object()
            .bucket(&self.uploads_bucket)
            .key(&key)
            .content_type("image/jpeg")
            .body(self.jpeg.clone().into())
            .send()
            .await
            .context("cannot upload the JPEG")?;
        Ok(key)
    }

    pub(super) fn lines(&self, n: usize) -> Vec<Line> {
        self.cart
            .iter()
            .take(3)
            .enumerate()
            .map(|(i, product)| {
                let quantity = 1 + (n % 3) as i64;
                Line {
                    product_id: product.clone(),
                    // A simple product's one variant has the product's id.
                    variant_id: product.clone(),
                    options: Default::default(),
                    sku: format!("BENCH-CART-{i}"),
                    name: "Benchmark mug".to_owned(),
                    unit_price_cents: 1490,
                    quantity,
                    line_total_cents: 1490 * quantity,
                    discount_cents: 0,
                    tax_cents: 0,
                    refunded_quantity: 0,
                    returned_quantity: 0,
                }
            })
            .collect()
    }

    /// The total of an order of [`Self::lines`] for serial 0.
    pub(super) fn total(&self) -> i64 {
        self.lines(0).iter().map(|l| l.line_total_cents).sum()
    }

    /// An order of the customer in `status`, written straight into the table.
    pub(super) async fn order(&self, status: OrderStatus, intent: Option<&str>) -> Result<String> {
        let id = shared::ids::Id::new().to_string();
        self.put_order(&id, status, intent).await?;
        Ok(id)
    }

    pub(super) async fn put_order(
        &self,
        id: &str,
        status: OrderStatus,
        intent: Option<&str>,
    ) -> Result<()> {
        let now = shared::clock::now();
        let id = shared::ids::Id::parse(id).context("an order id")?;
        let order = self.order_item(&id, &self.customer.id, 0, status, intent, now)?;
        self.put(&order).await
    }

    /// A PaymentIntent for order `id`'s total, paid at localstripe with the test card: its id.
    pub(super) async fn paid_intent(&self, id: &str) -> Result<String> {
        let intent = self
            .stripe
            .create_intent(id, self.total(), "EUR")
            .await
            .map_err(|e| anyhow::anyhow!("localstripe: {e}"))?;
        shared::testing::localstripe::pay(
            &self.stripe_url,
            &intent.id,
            shared::testing::localstripe::CARD_OK,
        )
        .await
        .map_err(|e| anyhow::anyhow!("localstripe: {e}"))?;
        Ok(intent.id)
    }

    /// A delivered order of the customer, paid at localstripe, with a return of its first
    /// line's unit asked for: written straight into the table.
    pub(super) async fn returned(&self) -> Result<String> {
        let id = shared::ids::Id::new();
        let intent = self.paid_intent(id.as_str()).await?;
        let now = shared::clock::now();
        let mut order = self.order_item(
            &id,
            &self.customer.id,
            0,
            OrderStatus::Delivered,
            Some(&intent),
            now,
        )?;
        order.delivered_at = Some(now);
        order.lines[0].returned_quantity = 1;
        self.put(&order).await?;
        let line = shared::orders::refunds::RefundLine {
            variant_id: order.lines[0].variant().to_owned(),
            quantity: 1,
        };
        let item = ReturnItem::new(&order, vec![line], "benchmark".to_owned(), now);
        self.put(&item).await?;
        Ok(item.id)
    }

    async fn put(&self, item: &impl serde::Serialize) -> Result<()> {
        self.dynamodb
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(
                shared::db::to_item(item).map_err(|e| anyhow::anyhow!("{e}"))?,
            ))
            .send()
            .await
            .context("cannot write an item")?;
        Ok(())
    }

    pub(super) fn order_item(
        &self,
        id: &shared::ids::Id,
        customer: &str,
        n: usize,
        status: OrderStatus,
        intent: Option<&str>,
        created: i64,
    ) -> Result<OrderItem> {
        let address: ShippingAddress = serde_json::from_value(json!({
            "name": "Bench", "line1": "1 Main Street", "city": "Berlin",
            "postal_code": "10115", "country": "DE"
        }))?;
        let lines = self.lines(n);
        // Priced as a shop with no shipping zones and no tax prices it: the lines' sum.
        let charges = shared::orders::model::Charges {
            total_cents: lines.iter().map(|l| l.line_total_cents).sum(),
            ..Default::default()
        };
        let mut order = OrderItem::new(
            id,
            customer,
            lines,
            charges,
            "EUR",
            address,
            Payment {
                provider: "stripe".to_owned(),
                payment_intent_id: intent.map_or_else(|| format!("pi_bench_{id}"), str::to_owned),
                client_secret: String::new(),
                status: "requires_payment_method".to_owned(),
            },
            created,
            created + 1800,
        );
        order.status = status;
        order.gsi2pk = shared::orders::keys::status(status);
        order.gsi2sk = shared::orders::keys::status_sort_key(status, id.as_str(), order.expires_at);
        Ok(order)
    }

    /// A day of orders for the report to read, written in batches.
    pub(super) async fn day_of_orders(&self) -> Result<()> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let mut requests = Vec::with_capacity(REPORT_ORDERS);
        for n in 0..REPORT_ORDERS {
            let at_ms = REPORT_DAY_START_MS + (n as u64) * (86_400_000 / REPORT_ORDERS as u64);
            let id = shared::ids::Id::parse(&ulid::Ulid::from_parts(at_ms, n as u128).to_string())
                .context("a ULID is an id")?;
            let status = if n % 4 == 0 {
                OrderStatus::Cancelled
            } else {
                OrderStatus::Paid
            };
            let created = i64::try_from(at_ms / 1000)?;
            let order = self.order_item(&id, "bench-shoppers", n, status, None, created)?;
            let item = shared::db::to_item(&order).map_err(|e| anyhow::anyhow!("{e}"))?;
            requests.push(
                WriteRequest::builder()
                    .put_request(PutRequest::builder().set_item(Some(item)).build()?)
                    .build(),
            );
        }
        for chunk in requests.chunks(25) {
            let mut pending = Some(chunk.to_vec());
            while let Some(batch) = pending.take().filter(|b| !b.is_empty()) {
                let output = self
                    .dynamodb
                    .batch_write_item()
                    .request_items(&self.table.name, batch)
                    .send()
                    .await?;
                pending = output
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table.name));
            }
        }
        Ok(())
    }
}
/// A real JPEG of `width` × `height`, as a phone's upload would be.
pub(super) fn jpeg(width: u32, height: u32) -> Result<Vec<u8>> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 255) as u8, (y % 255) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture).write_to(&mut out, image::ImageFormat::Jpeg)?;
    Ok(out.into_inner())
}
