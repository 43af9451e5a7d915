//! What each function of the template is given to do in the benchmark: a request it answers
//! with success, made anew for every invocation where the work consumes something (an order to
//! ship, a reset token to spend, a refresh token to rotate), against a shop seeded for it. The
//! state an invocation consumes is made before it is sent, so it is not in the function's
//! figures.

use anyhow::{Context as _, Result, bail};
use bytes::Bytes;
use serde_json::{Value, json};

use shared::accounts::Accounts;
use shared::auth::Role;
use shared::auth::jwt::TokenIssuer;
use shared::catalog::Catalog;
use shared::db::Table;
use shared::orders::model::{Line, OrderItem, Payment, ShippingAddress};
use shared::orders::state::OrderStatus;
use shared::payments::PaymentProvider as _;
use shared::payments::stripe::Stripe;

use crate::lambda::Outcome;
use crate::provision::Clients;
use crate::template::Template;

/// How much of the benchmark a function gets: a password hash, an image re-encoding or a report
/// of thousands of orders takes tens of milliseconds, and is measured fewer times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    Light,
    Heavy,
}

/// What a successful invocation answers.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// An HTTP response with a 2xx status.
    Success,
    /// An HTTP response with exactly this status (the fallback function's 404).
    Status(u16),
    /// A job's or trigger's own output, with no failed record in it.
    Job,
}

pub struct Subject {
    /// The function's logical id in the template (or [`FLOOR`]).
    pub id: &'static str,
    /// Its sample event, edited per invocation.
    pub sample: &'static str,
    pub load: Load,
    pub answer: Answer,
    /// What one invocation does, for the table.
    pub does: &'static str,
}

/// The null `lambda_http` function of the bench's fixture (`xtask/fixture/floor`).
pub const FLOOR: &str = "Floor";
pub const FLOOR_BINARY: &str = "floor";

const fn light(id: &'static str, sample: &'static str, does: &'static str) -> Subject {
    Subject {
        id,
        sample,
        load: Load::Light,
        answer: Answer::Success,
        does,
    }
}

const fn heavy(id: &'static str, sample: &'static str, does: &'static str) -> Subject {
    Subject {
        id,
        sample,
        load: Load::Heavy,
        answer: Answer::Success,
        does,
    }
}

/// Every function of the template, the floor first; the report is made before it is fetched.
pub const SUBJECTS: &[Subject] = &[
    light(
        FLOOR,
        "events/health/get.json",
        "a constant 200 (the floor)",
    ),
    light(
        "HealthFunction",
        "events/health/get.json",
        "a constant 200, logged",
    ),
    Subject {
        answer: Answer::Status(404),
        ..light(
            "NotFoundFunction",
            "events/not-found/unknown-route.json",
            "the 404 of an unknown route",
        )
    },
    heavy(
        "RegisterFunction",
        "events/auth-register/register.json",
        "an account (password hash)",
    ),
    heavy(
        "LoginFunction",
        "events/auth-login/login.json",
        "a login (password check, refresh token)",
    ),
    light(
        "RefreshFunction",
        "events/auth-refresh/refresh.json",
        "a refresh token rotated",
    ),
    light(
        "LogoutFunction",
        "events/auth-logout/logout.json",
        "a login revoked",
    ),
    light(
        "PasswordResetFunction",
        "events/auth-password-reset/request.json",
        "a reset counted and queued",
    ),
    Subject {
        answer: Answer::Job,
        ..light(
            "MailFunction",
            "events/mail-send/password-reset.json",
            "a reset token made and mailed",
        )
    },
    heavy(
        "PasswordResetConfirmFunction",
        "events/auth-password-reset-confirm/confirm.json",
        "a reset spent (password hash)",
    ),
    light("MeFunction", "events/me-get/me.json", "one account read"),
    light(
        "UpdateMeFunction",
        "events/me-update/rename.json",
        "an account renamed",
    ),
    light(
        "SetRoleFunction",
        "events/admin-set-role/promote.json",
        "a role changed",
    ),
    light(
        "ProductsListFunction",
        "events/products-list/list.json",
        "a page of products",
    ),
    light(
        "ProductsGetFunction",
        "events/products-get/get.json",
        "one GetItem",
    ),
    light(
        "ProductsCreateFunction",
        "events/products-create/create.json",
        "a product and its SKU claimed",
    ),
    light(
        "ProductsUpdateFunction",
        "events/products-update/update.json",
        "a product changed",
    ),
    light(
        "ProductsDeleteFunction",
        "events/products-delete/delete.json",
        "a product deactivated",
    ),
    light(
        "ProductImagesFunction",
        "events/product-images/add-image.json",
        "an image slot and a presigned PUT",
    ),
    Subject {
        answer: Answer::Job,
        ..heavy(
            "ImageFunction",
            "events/image-process/object-created.json",
            "an 800×600 JPEG checked, re-encoded, thumbnailed",
        )
    },
    light(
        "OrdersCreateFunction",
        "events/orders-create/create.json",
        "a 5-line checkout",
    ),
    light(
        "OrdersListFunction",
        "events/orders-list/list.json",
        "a customer's orders",
    ),
    light(
        "OrdersGetFunction",
        "events/orders-get/get.json",
        "one order",
    ),
    light(
        "OrdersCancelFunction",
        "events/orders-cancel/cancel.json",
        "a pending order cancelled, stock back",
    ),
    light(
        "AdminOrdersListFunction",
        "events/admin-orders-list/list.json",
        "a page of all orders",
    ),
    light(
        "AdminOrdersShipFunction",
        "events/admin-orders-ship/ship.json",
        "a paid order shipped, mail queued",
    ),
    light(
        "AdminOrdersDeliverFunction",
        "events/admin-orders-deliver/deliver.json",
        "a shipped order delivered",
    ),
    light(
        "PaymentsWebhookFunction",
        "events/payments-webhook/succeeded.json",
        "a signed payment event, order paid",
    ),
    Subject {
        answer: Answer::Job,
        ..light(
            "ExpireOrdersFunction",
            "events/orders-expire/scheduled.json",
            "the expiry job, nothing due",
        )
    },
    Subject {
        answer: Answer::Job,
        ..heavy(
            "ReportsFunction",
            "events/reports-daily/scheduled.json",
            "the daily report of 3000 orders",
        )
    },
    light(
        "AdminReportsFunction",
        "events/admin-reports-get/get.json",
        "a report's links",
    ),
    light(
        "AdminStatsFunction",
        "events/admin-stats/get.json",
        "the dashboard's figures",
    ),
    light(
        "ContactFunction",
        "events/contact-create/send.json",
        "a message stored, limit counted",
    ),
    light(
        "AdminMessagesFunction",
        "events/admin-messages-list/list.json",
        "a page of messages",
    ),
];

/// The report is measured over a day of this many orders (three lines each).
pub const REPORT_ORDERS: usize = 3000;
/// The day they are made on, and the run that reports it.
const REPORT_DAY_START_MS: u64 = 1_768_435_200_000; // 2026-01-15T00:00:00Z
const REPORT_DAY: &str = "2026-01-15";
const REPORT_RUN: &str = r#"{"time": "2026-01-16T02:00:00Z"}"#;
pub const CHECKOUT_LINES: usize = 5;
const PASSWORD: &str = "correct horse battery staple";

/// Whether `outcome` is what `answer` expects; the reason if not.
pub fn check(answer: Answer, outcome: &Outcome) -> Result<(), String> {
    let Outcome::Response(body) = outcome else {
        return Err(crate::lambda::describe(outcome));
    };
    let reply: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let ok = match answer {
        Answer::Success => reply["statusCode"]
            .as_u64()
            .is_some_and(|s| (200..300).contains(&s)),
        Answer::Status(status) => reply["statusCode"].as_u64() == Some(u64::from(status)),
        Answer::Job => reply["batchItemFailures"]
            .as_array()
            .is_none_or(|failures| failures.is_empty()),
    };
    if ok {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(body).chars().take(400).collect())
    }
}

struct Person {
    id: String,
    email: String,
    token: String,
}

/// The shop the benchmark's requests act on, and what it takes to make them.
pub struct Shop {
    table: Table,
    dynamodb: aws_sdk_dynamodb::Client,
    s3: aws_sdk_s3::Client,
    accounts: Accounts,
    catalog: Catalog,
    issuer: TokenIssuer,
    customer: Person,
    /// The account whose password the reset functions change (the customer's stays).
    resetting: String,
    admin_token: String,
    /// The account whose role the admin changes.
    other_user: String,
    pub product_id: String,
    /// The product the update function changes (the read one stays as it is).
    updated_product: String,
    cart: Vec<String>,
    order_id: String,
    webhook_secret: String,
    stripe: Stripe,
    uploads_bucket: String,
    jpeg: Vec<u8>,
    /// Tells each request its own email, SKU, key or address.
    serial: usize,
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
        let keys_text = shared::secrets::read_string(&clients.secrets, &secret("-keys")?).await?;
        let issuer = shared::secrets::Keys::parse("keys", &keys_text, config.tokens)?.issuer();
        let webhook: Value = serde_json::from_str(
            &shared::secrets::read_string(&clients.secrets, &secret("-stripe-webhook")?).await?,
        )?;
        let webhook_secret = webhook["current"]
            .as_str()
            .context("the webhook secret has no current value")?
            .to_owned();
        let stripe_key: Value = serde_json::from_str(
            &shared::secrets::read_string(&clients.secrets, &secret("-stripe-key")?).await?,
        )?;
        let stripe_key = stripe_key["secret_key"]
            .as_str()
            .context("the Stripe key secret has no secret_key")?
            .to_owned();
        let stripe = Stripe::new(stripe_url, stripe_key).map_err(anyhow::Error::msg)?;
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
                    .register(registration, now)
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
            catalog,
            table,
            product_id: String::new(),
            updated_product: String::new(),
            cart: Vec::new(),
            order_id: String::new(),
            webhook_secret,
            stripe,
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
        match subject.id {
            FLOOR
            | "HealthFunction"
            | "NotFoundFunction"
            | "ProductsListFunction"
            | "ExpireOrdersFunction" => {}
            "RegisterFunction" => body(
                &mut event,
                json!({"email": format!("bench-{n}@example.com"), "password": PASSWORD, "name": "Bench"}),
            ),
            "LoginFunction" => body(
                &mut event,
                json!({"email": self.customer.email, "password": PASSWORD}),
            ),
            "RefreshFunction" => {
                let token = match previous.and_then(refresh_token_in) {
                    Some(token) => token,
                    None => self.login().await?.1,
                };
                body(&mut event, json!({ "refresh_token": token }));
            }
            "LogoutFunction" => {
                let (access, refresh) = self.login().await?;
                header(&mut event, "authorization", &format!("Bearer {access}"));
                body(&mut event, json!({ "refresh_token": refresh }));
            }
            "PasswordResetFunction" => body(
                &mut event,
                json!({"email": format!("nobody-{n}@example.com")}),
            ),
            "MailFunction" => {
                let mut record = event["Records"][0].clone();
                record["messageId"] = Value::from(format!("bench-{n}"));
                record["body"] = Value::from(
                    json!({"kind": "password_reset", "email": "bench-reset@example.com"})
                        .to_string(),
                );
                event["Records"] = json!([record]);
            }
            "PasswordResetConfirmFunction" => {
                let token = self.reset_token().await?;
                body(
                    &mut event,
                    json!({"token": token, "password": format!("a new long password {n}")}),
                );
            }
            "MeFunction" => header(&mut event, "authorization", &customer),
            "UpdateMeFunction" => {
                header(&mut event, "authorization", &customer);
                body(
                    &mut event,
                    json!({"name": format!("Bench Customer {}", n % 10)}),
                );
            }
            "SetRoleFunction" => {
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &self.other_user.clone());
                let role = if n.is_multiple_of(2) {
                    "admin"
                } else {
                    "customer"
                };
                body(&mut event, json!({ "role": role }));
            }
            "ProductsGetFunction" => path(&mut event, "id", &self.product_id.clone()),
            "ProductsCreateFunction" => {
                header(&mut event, "authorization", &admin);
                body(
                    &mut event,
                    json!({"sku": format!("BENCH-NEW-{n}"), "name": "Benchmark mug",
                        "description": "Stoneware, 350 ml.", "price_cents": 1490,
                        "category": "mugs", "stock": 25}),
                );
            }
            "ProductsUpdateFunction" => {
                header(&mut event, "authorization", &admin);
                remove_header(&mut event, "if-match");
                path(&mut event, "id", &self.updated_product.clone());
                body(&mut event, json!({"price_cents": 1490 + (n % 10) as i64}));
            }
            "ProductsDeleteFunction" => {
                let id = self.product(&format!("BENCH-GONE-{n}"), 1).await?;
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &id);
            }
            "ProductImagesFunction" => {
                let id = self.product(&format!("BENCH-PICTURED-{n}"), 1).await?;
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &id);
            }
            "ImageFunction" => {
                let key = self.upload(n).await?;
                let object = &mut event["Records"][0]["s3"];
                object["bucket"]["name"] = Value::from(self.uploads_bucket.clone());
                object["object"]["key"] = Value::from(key);
                object["object"]["size"] = Value::from(self.jpeg.len());
            }
            "OrdersCreateFunction" => {
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
            "OrdersListFunction" => header(&mut event, "authorization", &customer),
            "OrdersGetFunction" => {
                header(&mut event, "authorization", &customer);
                path(&mut event, "id", &self.order_id.clone());
            }
            "OrdersCancelFunction" => {
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
            "AdminOrdersListFunction" | "AdminStatsFunction" | "AdminMessagesFunction" => {
                header(&mut event, "authorization", &admin)
            }
            "AdminOrdersShipFunction" => {
                let id = self.order(OrderStatus::Paid, None).await?;
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &id);
            }
            "AdminOrdersDeliverFunction" => {
                let id = self.order(OrderStatus::Shipped, None).await?;
                header(&mut event, "authorization", &admin);
                path(&mut event, "id", &id);
            }
            "PaymentsWebhookFunction" => {
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
            "ReportsFunction" => event = serde_json::from_str(REPORT_RUN)?,
            "AdminReportsFunction" => {
                header(&mut event, "authorization", &admin);
                path(&mut event, "date", REPORT_DAY);
            }
            "ContactFunction" => {
                let ip = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
                event["requestContext"]["http"]["sourceIp"] = Value::from(ip);
            }
            other => bail!("the benchmark does not know how to call {other}"),
        }
        Ok(Bytes::from(event.to_string()))
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

    async fn product(&self, sku: &str, stock: i64) -> Result<String> {
        let fields: shared::catalog::model::ProductFields = serde_json::from_value(json!({
            "sku": sku, "name": "Benchmark mug", "description": "A product for the benchmark.",
            "price_cents": 1490, "category": "mugs", "stock": stock, "active": true
        }))?;
        let product = self
            .catalog
            .create(fields, shared::clock::now())
            .await
            .map_err(|e| anyhow::anyhow!("cannot seed a product: {e}"))?;
        Ok(product.product.id)
    }

    /// A login of the customer: its access and refresh tokens.
    async fn login(&self) -> Result<(String, String)> {
        let pair = self
            .accounts
            .login(
                &self.issuer,
                &self.customer.email,
                PASSWORD,
                shared::clock::now(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("cannot log in: {e}"))?;
        Ok((pair.access_token, pair.refresh_token))
    }

    /// A fresh reset token of the resetting account, as its email carries it.
    async fn reset_token(&self) -> Result<String> {
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
    async fn upload(&self, n: usize) -> Result<String> {
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
            .add_image(&uploads, &id, image, shared::clock::now())
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

    fn lines(&self, n: usize) -> Vec<Line> {
        self.cart
            .iter()
            .take(3)
            .enumerate()
            .map(|(i, product)| {
                let quantity = 1 + (n % 3) as i64;
                Line {
                    product_id: product.clone(),
                    sku: format!("BENCH-CART-{i}"),
                    name: "Benchmark mug".to_owned(),
                    unit_price_cents: 1490,
                    quantity,
                    line_total_cents: 1490 * quantity,
                }
            })
            .collect()
    }

    /// The total of an order of [`Self::lines`] for serial 0.
    fn total(&self) -> i64 {
        self.lines(0).iter().map(|l| l.line_total_cents).sum()
    }

    /// An order of the customer in `status`, written straight into the table.
    async fn order(&self, status: OrderStatus, intent: Option<&str>) -> Result<String> {
        let id = shared::ids::Id::new().to_string();
        self.put_order(&id, status, intent).await?;
        Ok(id)
    }

    async fn put_order(&self, id: &str, status: OrderStatus, intent: Option<&str>) -> Result<()> {
        let now = shared::clock::now();
        let id = shared::ids::Id::parse(id).context("an order id")?;
        let order = self.order_item(&id, &self.customer.id, 0, status, intent, now)?;
        self.dynamodb
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(
                shared::db::to_item(&order).map_err(|e| anyhow::anyhow!("{e}"))?,
            ))
            .send()
            .await
            .context("cannot write an order")?;
        Ok(())
    }

    fn order_item(
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
        let mut order = OrderItem::new(
            id,
            customer,
            self.lines(n),
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
    async fn day_of_orders(&self) -> Result<()> {
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

/// A real JPEG of `width` × `height`, as a phone's upload would be.
fn jpeg(width: u32, height: u32) -> Result<Vec<u8>> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 255) as u8, (y % 255) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture).write_to(&mut out, image::ImageFormat::Jpeg)?;
    Ok(out.into_inner())
}
