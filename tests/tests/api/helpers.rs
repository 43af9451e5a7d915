//! What every test uses: where the stack is, an HTTP client, the functions' captured logs and
//! the fixture's recorded events.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// A variable `cargo xtask test` sets.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run these tests with `cargo xtask test`, which starts the local stack")
    })
}

pub struct Client {
    base: String,
    http: HyperClient<HttpConnector, Full<Bytes>>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The JSON body of a reply that must have `status` (the body is shown if not).
    pub fn expect(&self, status: u16) -> Value {
        self.assert_status(status);
        self.json()
    }

    /// Asserts the reply's status, showing its body if it is another.
    #[track_caller]
    pub fn assert_status(&self, status: u16) {
        let body = String::from_utf8_lossy(&self.body);
        assert_eq!(self.status, status, "{body}");
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The project's API.
pub fn api() -> Client {
    Client::new(env("STOREFRONT_API"))
}

/// The project's Invoke API.
pub fn invoke_api() -> Client {
    Client::new(env("STOREFRONT_INVOKE"))
}

/// The runner's fixture API (echo and recorder functions).
pub fn fixture() -> Client {
    Client::new(env("FIXTURE_API"))
}

/// The API as a client on a network of its own sees it: its connections come from a loopback
/// address no other client of this run uses. Each account these tests register is someone
/// else, somewhere else, as the per-network registration limit expects of real shoppers.
pub fn newcomer() -> Client {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // 127.<test binary>.<n>.<n>: the api and the quiet suite run as different processes.
    let binary = u8::try_from(std::process::id() % 200 + 20).unwrap_or(20);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let high = u8::try_from(n / 255 % 256).unwrap_or(0);
    let low = u8::try_from(n % 255 + 1).unwrap_or(1);
    let address = std::net::Ipv4Addr::new(127, binary, high, low);
    let mut connector = HttpConnector::new();
    connector.set_local_address(Some(address.into()));
    Client {
        base: env("STOREFRONT_API"),
        http: HyperClient::builder(TokioExecutor::new()).build(connector),
    }
}

impl Client {
    pub fn new(base: String) -> Self {
        Self {
            base,
            http: HyperClient::builder(TokioExecutor::new()).build_http(),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Reply {
        let bearer = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
            .map(|(_, value)| value.trim_start_matches("Bearer ").to_owned());
        let asked = method.clone();
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body.into())).unwrap();
        let response = self.http.request(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let reply = Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes(),
        };
        if let Some(token) = bearer
            && self.base == env("STOREFRONT_API")
        {
            record_shop_write(&asked, path, &token, &reply);
        }
        reply
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, &[], Bytes::new()).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.post_json_text(path, body.to_string()).await
    }

    /// A POST declared `application/json` whose body is `text` as it is (JSON or not).
    pub async fn post_json_text(&self, path: &str, text: impl Into<Bytes>) -> Reply {
        self.send(
            Method::POST,
            path,
            &[("content-type", "application/json")],
            text,
        )
        .await
    }
}

/// `POST /auth/login` with an email and a password.
pub async fn login(email: &str, password: &str) -> Reply {
    api()
        .post_json(
            "/auth/login",
            &serde_json::json!({"email": email, "password": password}),
        )
        .await
}

/// A request with `Authorization: Bearer <token>` (and a JSON body if given) to the API.
pub async fn authorized(
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    extra_headers: &[(&str, &str)],
) -> Reply {
    let auth = format!("Bearer {token}");
    let mut headers = vec![("authorization", auth.as_str())];
    headers.extend_from_slice(extra_headers);
    let body = match body {
        Some(b) => {
            headers.push(("content-type", "application/json"));
            b.to_string()
        }
        None => String::new(),
    };
    api().send(method, path, &headers, body).await
}

/// A customer's order waiting for its payment, of a product made for it, and who made them.
pub struct Unpaid {
    pub admin: String,
    pub product: String,
    pub customer: String,
    pub order: Value,
}

/// An admin's new product (`stock` units at `price_cents`) and a new customer's unpaid order of
/// `quantity` of it.
pub async fn unpaid_order(stock: i64, price_cents: i64, quantity: i64) -> Unpaid {
    let admin = admin_token().await;
    let product = product(&admin, stock, price_cents).await;
    let customer = customer_token().await;
    let order = placed(&customer, &[(&product, quantity)]).await;
    Unpaid {
        admin,
        product,
        customer,
        order,
    }
}

/// [`unpaid_order`], paid with Stripe's test card at localstripe and seen `paid` by its
/// customer; with the order's id and PaymentIntent.
pub async fn paid_order(stock: i64, price_cents: i64, quantity: i64) -> (Unpaid, String, String) {
    let unpaid = unpaid_order(stock, price_cents, quantity).await;
    let id = unpaid.order["id"].as_str().unwrap_or_default().to_owned();
    let intent = unpaid.order["payment"]["payment_intent_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    shared::testing::localstripe::pay(
        &env("STRIPE_URL"),
        &intent,
        shared::testing::localstripe::CARD_OK,
    )
    .await
    .unwrap();
    let path = format!("/orders/{id}");
    let read = async || get_as(&unpaid.customer, &path).await.json()["order"].clone();
    let paid = poll(Duration::from_secs(20), read, |o| o["status"] == "paid").await;
    assert_eq!(paid["status"], "paid", "{paid}");
    (unpaid, id, intent)
}

/// Notes a write of the shop's (by staff or an admin, on one of the shop's routes or an
/// admin's cancel) that the API did, so that the audit test finds its entry: one JSON line in
/// `STOREFRONT_SHOP_WRITES`, by the `api` suite only (the quiet one loses answers on purpose).
fn record_shop_write(method: &Method, path: &str, token: &str, reply: &Reply) {
    use base64::Engine as _;
    if env!("CARGO_CRATE_NAME") != "api"
        || *method == Method::GET
        || !(200..300).contains(&reply.status)
        || reply.header("idempotent-replayed").is_some()
    {
        return;
    }
    let Some(claims) = token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
    else {
        return;
    };
    if !matches!(claims["role"].as_str(), Some("admin" | "staff")) {
        return;
    }
    let path = path.split('?').next().unwrap_or_default();
    let audited = shared::routes::ROUTES.iter().any(|(m, template, access)| {
        *m == method.as_str()
            && shared::routes::path_matches(template, path)
            && (matches!(
                access,
                shared::auth::Access::Staff | shared::auth::Access::Admin
            ) || *template == "/orders/{id}/cancel")
    });
    let Some(request_id) = reply.header("x-request-id") else {
        return;
    };
    if audited {
        let line = json!({"actor": claims["sub"], "method": method.as_str(), "path": path,
                          "request_id": request_id});
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(env("STOREFRONT_SHOP_WRITES"))
            .unwrap();
        std::io::Write::write_all(&mut file, format!("{line}\n").as_bytes()).unwrap();
    }
}

/// `POST` of a JSON body with `token`'s authorization.
pub async fn post_as(token: &str, path: &str, body: Value) -> Reply {
    authorized(Method::POST, path, token, Some(body), &[]).await
}

/// `GET` with `token`'s authorization.
pub async fn get_as(token: &str, path: &str) -> Reply {
    authorized(Method::GET, path, token, None, &[]).await
}

/// The `field` of each error of a validation problem, in order.
pub fn error_fields(problem: &Value) -> Vec<String> {
    let fields = shared::testing::fields(problem);
    fields.into_iter().map(str::to_owned).collect()
}

/// Asserts a problem+json response with its status and code, and returns its body.
pub fn assert_problem(reply: &Reply, status: u16, code: &str) -> Value {
    reply.assert_status(status);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let body = reply.json();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    body
}

/// Every line the functions logged so far.
pub fn function_logs() -> String {
    std::fs::read_to_string(env("STOREFRONT_LOG_FILE")).unwrap_or_default()
}

/// The log lines of one API request (by its `X-Request-Id`), once its last line
/// (`request finished`) has reached the log file: a test reads only what its own request wrote.
pub async fn request_log(request_id: &str) -> Vec<String> {
    let mine = |logs: &str| -> Vec<String> {
        logs.lines()
            .filter(|line| line.contains(request_id))
            .map(str::to_owned)
            .collect()
    };
    let finished = |lines: &Vec<String>| lines.iter().any(|l| l.contains("request finished"));
    poll(
        Duration::from_secs(10),
        async || mine(&function_logs()),
        finished,
    )
    .await
}

/// Every embedded-metric document the functions wrote so far, with the process that wrote it
/// (`OrdersCreateFunction#2`).
pub fn documents() -> Vec<(String, Value)> {
    function_logs()
        .lines()
        .filter_map(|line| {
            let (process, text) = line.split_once('\t')?;
            let document: Value = serde_json::from_str(text).ok()?;
            document.get("_aws")?;
            Some((process.to_owned(), document))
        })
        .collect()
}

/// The first document `found` picks, waiting up to ten seconds for the log to have it.
pub async fn document(found: impl Fn(&str, &Value) -> bool) -> Option<(String, Value)> {
    let read = || async { documents().into_iter().find(|(p, d)| found(p, d)) };
    poll(Duration::from_secs(10), read, Option::is_some).await
}

/// `read`, again every 100 ms until `done` holds for its answer or `limit` passes; the last answer.
pub async fn poll<T, Fut>(
    limit: Duration,
    mut read: impl FnMut() -> Fut,
    done: impl Fn(&T) -> bool,
) -> T
where
    Fut: std::future::Future<Output = T>,
{
    let deadline = Instant::now() + limit;
    loop {
        let answer = read().await;
        if done(&answer) || Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The events the fixture's recorder received, each `{"kind", "request_id", "event"}`.
pub fn recorded() -> Vec<Value> {
    let dir = PathBuf::from(env("FIXTURE_RECORD_DIR"));
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if let Ok(text) = std::fs::read_to_string(entry.path())
            && let Ok(value) = serde_json::from_str(&text)
        {
            out.push(value);
        }
    }
    out
}

/// Waits until `found` holds for the recorded events, or `limit` passes.
pub async fn wait_for_recorded<F>(limit: Duration, found: F) -> Vec<Value>
where
    F: Fn(&[Value]) -> bool,
{
    poll(
        limit,
        || async { recorded() },
        |events: &Vec<Value>| found(events),
    )
    .await
}

/// The S3 keys of recorded S3 events, decoded as a consumer must: event keys are URL-encoded
/// (`+` for a space, `%XX` for other bytes).
pub fn s3_keys(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["kind"] == "s3")
        .filter_map(|e| e["event"]["Records"][0]["s3"]["object"]["key"].as_str())
        .map(decode_key)
        .collect()
}

/// Decoded here by hand, not with `shared::aws::decode_s3_key`: an independent oracle for what
/// the runner delivers and the image function decodes.
fn decode_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if key.get(i + 1..i + 3).is_some() => {
                let hex = &key[i + 1..i + 3];
                out.push(
                    u8::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("bad escape in {key}")),
                );
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// AWS SDK configuration for the local moto server.
pub async fn moto_config() -> aws_config::SdkConfig {
    shared::aws::local_config(&env("MOTO_URL")).await
}

pub async fn moto_s3() -> aws_sdk_s3::Client {
    shared::aws::local_s3(&moto_config().await)
}

/// Something no other test's names or categories contain.
pub fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{tag}{}", nanos % 10_000_000_000)
}

pub async fn token(email: &str, password: &str) -> String {
    let reply = login(email, password).await;
    reply.expect(200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn admin_token() -> String {
    token(
        &env("STOREFRONT_ADMIN_EMAIL"),
        &env("STOREFRONT_ADMIN_PASSWORD"),
    )
    .await
}

// ------------------------------------------------------------ the shop, as its clients use it

/// Registers `email` with `password`, from a network of its own ([`newcomer`]).
pub async fn register(email: &str, password: &str) -> Reply {
    let body = json!({"email": email, "password": password, "name": "Shopper"});
    newcomer().post_json("/auth/register", &body).await
}

/// A newly registered customer's access token.
pub async fn customer_token() -> String {
    let email = format!("{}@example.com", unique("shopper"));
    register(&email, "correct horse battery")
        .await
        .assert_status(201);
    token(&email, "correct horse battery").await
}

/// A new account an admin made staff, signed in again since (the role change ended its first
/// login; a token opens the shop's routes from the second after the change).
pub async fn staff_token() -> String {
    let email = format!("{}@example.com", unique("staff"));
    let made = register(&email, "correct horse battery").await;
    let id = made.expect(201)["user"]["id"].as_str().unwrap().to_owned();
    let admin = admin_token().await;
    let path = format!("/admin/users/{id}/role");
    let promoted = authorized(
        Method::POST,
        &path,
        &admin,
        Some(json!({"role": "staff"})),
        &[],
    );
    assert_eq!(promoted.await.expect(200)["user"]["role"], "staff");
    let signed_in = async || {
        let token = token(&email, "correct horse battery").await;
        let status = authorized(Method::GET, "/admin/orders?limit=1", &token, None, &[])
            .await
            .status;
        (token, status)
    };
    let (token, status) = poll(Duration::from_secs(5), signed_in, |(_, s)| *s == 200).await;
    assert_eq!(status, 200, "a staff login opens the shop's routes");
    token
}

/// `POST /products` as `admin`; the product.
pub async fn create(admin: &str, body: Value) -> Value {
    let reply = authorized(Method::POST, "/products", admin, Some(body), &[]).await;
    reply.expect(201)["product"].clone()
}

pub fn id(product: &Value) -> String {
    product["id"].as_str().unwrap().to_owned()
}

/// A product with `stock` units at `price_cents`.
pub async fn product(admin: &str, stock: i64, price_cents: i64) -> String {
    let sku = unique("ORD");
    id(&create(
        admin,
        json!({"sku": sku, "name": format!("Mug {sku}"), "description": "For orders.",
               "price_cents": price_cents, "category": "orders", "stock": stock}),
    )
    .await)
}

/// A product's stock, as the API shows it.
pub async fn stock(admin: &str, product: &str) -> i64 {
    let reply = authorized(
        Method::GET,
        &format!("/products/{product}"),
        admin,
        None,
        &[],
    )
    .await;
    assert_eq!(reply.status, 200);
    reply.json()["product"]["stock"].as_i64().unwrap()
}

/// A checkout's body: `(product, quantity)` lines, shipped to Berlin.
pub fn order_body(lines: &[(&str, i64)]) -> Value {
    let items: Vec<Value> = lines
        .iter()
        .map(|(product, quantity)| json!({"product_id": product, "quantity": quantity}))
        .collect();
    json!({"items": items, "shipping_address": {"name": "Ada Lovelace", "line1": "1 Main Street",
           "city": "Berlin", "postal_code": "10115", "country": "DE"}})
}

/// `POST /orders` of `lines` with the `Idempotency-Key` `key`, as `token`'s customer.
pub async fn checkout(token: &str, lines: &[(&str, i64)], key: &str) -> Reply {
    authorized(
        Method::POST,
        "/orders",
        token,
        Some(order_body(lines)),
        &[("idempotency-key", key)],
    )
    .await
}

/// A checkout of `lines` with a fresh `Idempotency-Key`, which must succeed; the order.
pub async fn placed(token: &str, lines: &[(&str, i64)]) -> Value {
    let reply = checkout(token, lines, &unique("key")).await;
    reply.expect(201)["order"].clone()
}

/// Runs futures concurrently (the tests crate has no futures dependency).
pub async fn futures_join_all<F: std::future::Future<Output = Reply> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<Reply> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}
