//! `cargo xtask bench`: the figures `DESIGN.md` sets targets for, measured through the local
//! runner's Runtime API on release builds, against DynamoDB Local:
//!
//! - **init**: process start to its first `GET /next` (median of fresh processes);
//! - **warm latency** p50 / p99 of sequential invocations, and the same above the stand-in's own
//!   time for the one `GetItem` a product read makes;
//! - **CPU per invocation**: the process's user + system time over the run, divided;
//! - **peak memory**: the process's `VmHWM`;
//! - **zip**: the deployable zip of the binary (one `bootstrap`, deflated as `zip -9` does).
//!
//! The checkout is measured as a customer makes it: five lines, a fresh Idempotency-Key each
//! time (a replay would measure the idempotency store, not the checkout), a PaymentIntent at
//! localstripe, one transaction. Its CPU per invocation is the function's own.
//!
//! Compare figures only within one run on one machine.

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::lambda::{Outcome, Pool};
use crate::logs::{Logs, emit};
use crate::provision;
use crate::stack::{EnvOverrides, build_binaries, function_spec};
use crate::standins::{
    StandInOptions, StandIns, dynamodb_client, s3_client, secrets_client, ses_client,
};
use crate::template::{NameOptions, Template};
use crate::tools::Tools;

/// The functions measured: a null one, one whose invocation is one `GetItem`, and a five-line
/// checkout.
const SUBJECTS: [(&str, &str); 4] = [
    ("HealthFunction", "events/health/get.json"),
    ("ProductsGetFunction", "events/products-get/get.json"),
    ("OrdersCreateFunction", "events/orders-create/create.json"),
    ("ReportsFunction", "events/reports-daily/scheduled.json"),
];
/// The report is measured over a day of this many orders (three lines each).
const REPORT_ORDERS: usize = 3000;
/// The day they are made on, and the run that reports it.
const REPORT_DAY_START_MS: u64 = 1_768_435_200_000; // 2026-01-15T00:00:00Z
const REPORT_RUN: &str = r#"{"time": "2026-01-16T02:00:00Z"}"#;
/// A report run reads thousands of items: fewer runs of it are measured.
const REPORT_RUNS: usize = 10;
const CHECKOUT_LINES: usize = 5;
/// The product id in the sample event, replaced by a real one.
const SAMPLE_PRODUCT_ID: &str = "01JD5X8Y9Z0A1B2C3D4E5F6G7H";
/// Linux's clock tick for `/proc/<pid>/stat` times.
const TICKS_PER_SECOND: f64 = 100.0;

struct Figures {
    function: String,
    init_ms: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_ms: f64,
    peak_mb: f64,
    binary_mb: f64,
    zip_mb: f64,
    /// Instructions for the start and the first invocation, and per warm invocation.
    instructions: Option<(u64, u64)>,
}

/// `cargo xtask bench`'s options.
#[derive(Debug, clap::Args)]
pub struct BenchOptions {
    /// Warm invocations per function.
    #[arg(long, default_value_t = 2000)]
    invocations: usize,
    /// Cold starts per function.
    #[arg(long, default_value_t = 20)]
    cold_starts: usize,
    /// Measure this function only (its logical id).
    #[arg(long, value_name = "NAME")]
    only: Option<String>,
    /// Also count instructions under valgrind's callgrind: per warm invocation, and for the
    /// start plus the first invocation. Repeatable whatever else the machine does.
    #[arg(long)]
    callgrind: bool,
    /// Measure the binaries already built in DIR instead of building release ones (a build
    /// with symbols, to read a callgrind profile by function).
    #[arg(long, value_name = "DIR")]
    binaries: Option<std::path::PathBuf>,
}

pub async fn bench(root: &Path, options: BenchOptions) -> Result<()> {
    let BenchOptions {
        invocations,
        cold_starts,
        only,
        callgrind,
        binaries: prebuilt,
    } = options;
    let tools = Tools::new(root);
    let stand_in_tools = tools.ensure_stand_ins().await?;
    let names = NameOptions {
        stack_name: "storefront-bench".into(),
        suffix: "-bench".into(),
        parameters: Default::default(),
        queue_endpoint: None,
    };
    let built = Template::load(&root.join("template.yaml"), &names)?;
    let functions: Vec<_> = SUBJECTS
        .iter()
        .filter(|(id, _)| only.as_deref().is_none_or(|o| o == *id))
        .map(|(id, event)| {
            built
                .functions
                .iter()
                .find(|f| f.logical_id == *id)
                .map(|f| (f.clone(), root.join(event)))
                .with_context(|| format!("{id} is not in the template"))
        })
        .collect::<Result<_>>()?;
    let binaries: Vec<String> = functions.iter().map(|(f, _)| f.binary.clone()).collect();
    let release = match prebuilt {
        Some(dir) => dir,
        None => {
            build_binaries(root, &binaries, true).await?;
            crate::checks::target_dir(root)?.join("release")
        }
    };

    let stand_ins = StandIns::start(
        &StandInOptions {
            dynamodb_port: 0,
            moto_port: 0,
            stripe_port: 0,
            data_dir: None,
            log_dir: tools.local.join("bench/stand-ins"),
        },
        &stand_in_tools,
    )
    .await?;
    // Loaded again now that localstripe's address is known: the checkout pays there.
    let mut names = names;
    names.parameters.insert(
        crate::stripe::BASE_PARAMETER.to_owned(),
        stand_ins.stripe_url.clone(),
    );
    let template = Template::load(&root.join("template.yaml"), &names)?;
    let functions: Vec<_> = functions
        .into_iter()
        .filter_map(|(f, event)| {
            let f = template
                .functions
                .iter()
                .find(|t| t.logical_id == f.logical_id)?;
            Some((f.clone(), event))
        })
        .collect();
    let result = measure(
        &template,
        &functions,
        &stand_ins,
        &release,
        invocations,
        cold_starts,
        callgrind.then(|| tools.local.join("bench/callgrind")),
    )
    .await;
    stand_ins.stop().await;
    let (figures, stand_in_p50) = result?;

    let mut report = format!(
        "Release builds (host CPU), through the local runner's Runtime API, against DynamoDB Local; {invocations} sequential warm invocations, {cold_starts} cold starts.\n\n\
         | function | init | warm p50 | warm p99 | CPU / invocation | peak memory | binary | zip |\n\
         |---|---|---|---|---|---|---|---|\n"
    );
    for f in &figures {
        report.push_str(&format!(
            "| {} | {:.1} ms | {:.2} ms | {:.2} ms | {:.3} ms | {:.1} MB | {:.1} MB | {:.2} MB |\n",
            f.function, f.init_ms, f.p50_ms, f.p99_ms, f.cpu_ms, f.peak_mb, f.binary_mb, f.zip_mb
        ));
    }
    if figures.iter().any(|f| f.instructions.is_some()) {
        report.push_str(
            "\nInstructions (callgrind):\n\n| function | start + first invocation | per warm invocation |\n|---|---|---|\n",
        );
        for f in &figures {
            if let Some((first, warm)) = f.instructions {
                report.push_str(&format!(
                    "| {} | {:.1} M | {:.0} k |\n",
                    f.function,
                    first as f64 / 1e6,
                    warm as f64 / 1e3
                ));
            }
        }
    }
    if let Some(read) = figures.iter().find(|f| f.function == "ProductsGetFunction") {
        report.push_str(&format!(
            "\nDynamoDB Local answers the same GetItem in {stand_in_p50:.2} ms p50 on its own: the function adds {:.2} ms p50 above it.\n",
            read.p50_ms - stand_in_p50
        ));
    }
    if let (Some(read), Some(checkout)) = (
        figures.iter().find(|f| f.function == "ProductsGetFunction"),
        figures
            .iter()
            .find(|f| f.function == "OrdersCreateFunction"),
    ) {
        report.push_str(&format!(
            "A {CHECKOUT_LINES}-line checkout (products read, PaymentIntent, one transaction of {} writes, idempotency claim and completion) costs {:.3} ms CPU per invocation, {:.1} times a product read's.\n",
            CHECKOUT_LINES + 1,
            checkout.cpu_ms,
            checkout.cpu_ms / read.cpu_ms.max(f64::EPSILON)
        ));
    }
    if let Some(job) = figures.iter().find(|f| f.function == "ReportsFunction") {
        report.push_str(&format!(
            "The daily report over a day of {REPORT_ORDERS} orders (three lines each, read page by page) takes {:.0} ms p50 and peaks at {:.1} MB.\n",
            job.p50_ms, job.peak_mb
        ));
    }
    let out = tools.local.join("bench/results.md");
    std::fs::create_dir_all(out.parent().unwrap_or(root))?;
    std::fs::write(&out, &report)?;
    emit(&format!("\n{report}\n(written to {})", out.display()));
    Ok(())
}

async fn measure(
    template: &Template,
    functions: &[(crate::template::Function, std::path::PathBuf)],
    stand_ins: &StandIns,
    release: &Path,
    invocations: usize,
    cold_starts: usize,
    callgrind: Option<std::path::PathBuf>,
) -> Result<(Vec<Figures>, f64)> {
    let logs = Logs::new(None, false)?;
    let clients = provision::Clients {
        sqs: crate::standins::sqs_client(&stand_ins.moto_url).await,
        dynamodb: dynamodb_client(&stand_ins.dynamodb_url).await,
        s3: s3_client(&stand_ins.moto_url).await,
        secrets: secrets_client(&stand_ins.moto_url).await,
        ses: ses_client(&stand_ins.moto_url).await,
    };
    provision::provision(template, &clients, &logs).await?;
    let table = template
        .tables
        .first()
        .context("the template has no table")?;
    let product_id = seed_product(&clients.dynamodb, &table.name, "BENCH-1", 10).await?;
    let mut cart = Vec::new();
    for line in 0..CHECKOUT_LINES {
        let sku = format!("BENCH-CART-{line}");
        cart.push(seed_product(&clients.dynamodb, &table.name, &sku, 1_000_000).await?);
    }
    let token = customer_token(template, &clients.secrets).await?;
    seed_day_of_orders(&clients.dynamodb, &table.name, &cart).await?;

    let mut figures = Vec::new();
    for (function, event_path) in functions {
        let sample = std::fs::read_to_string(event_path)?.replace(SAMPLE_PRODUCT_ID, &product_id);
        let checkout = function.logical_id == "OrdersCreateFunction";
        let report = function.logical_id == "ReportsFunction";
        let sample = if checkout {
            checkout_event(&sample, &cart, &token)?
        } else if report {
            REPORT_RUN.to_owned()
        } else {
            sample
        };
        let (cold_starts, invocations, warmups) = if report {
            (cold_starts.min(3), invocations.min(REPORT_RUNS), 1)
        } else {
            (cold_starts, invocations, 100)
        };
        // A checkout's key is new every time; other events are sent as they are.
        let event_for = |i: &str| -> Bytes {
            if checkout {
                Bytes::from(sample.replace(CHECKOUT_KEY, &format!("bench-{i}")))
            } else {
                Bytes::from(sample.clone())
            }
        };
        let spec = function_spec(
            function,
            &EnvOverrides::default(),
            stand_ins,
            release,
            &logs,
        )?;

        let mut inits = Vec::new();
        for _ in 0..cold_starts {
            let pool = Pool::new(spec.clone(), logs.clone());
            let invoked = pool
                .invoke(event_for(&format!("cold-{}", inits.len())), "bench-cold")
                .await;
            expect_ok(&function.logical_id, &invoked.outcome)?;
            inits.extend(invoked.init);
            pool.shutdown();
        }

        let pool = Pool::new(spec.clone(), logs.clone());
        for w in 0..warmups {
            let warmup = pool
                .invoke(event_for(&format!("warm-{w}")), "bench-warmup")
                .await;
            expect_ok(&function.logical_id, &warmup.outcome)?;
        }
        let pid = pool
            .idle_pids()
            .first()
            .copied()
            .context("no warm process")?;
        let cpu_before = cpu_seconds(pid)?;
        let mut durations = Vec::with_capacity(invocations);
        for i in 0..invocations {
            let invoked = pool
                .invoke(event_for(&i.to_string()), &format!("bench-{i}"))
                .await;
            expect_ok(&function.logical_id, &invoked.outcome)?;
            durations.push(invoked.duration);
        }
        let cpu = cpu_seconds(pid)? - cpu_before;
        let peak_kb = peak_memory_kb(pid)?;
        pool.shutdown();

        let instructions = match &callgrind {
            Some(dir) => Some(
                count_instructions(&spec, dir, &logs, |i| event_for(&format!("cg-{i}")))
                    .await
                    .with_context(|| format!("callgrind of {}", function.logical_id))?,
            ),
            None => None,
        };
        let binary = std::fs::read(&spec.executable)?;
        figures.push(Figures {
            instructions,
            function: function.logical_id.clone(),
            init_ms: median(&inits),
            p50_ms: percentile(&durations, 0.50),
            p99_ms: percentile(&durations, 0.99),
            cpu_ms: cpu * 1000.0 / invocations as f64,
            peak_mb: peak_kb / 1024.0,
            binary_mb: binary.len() as f64 / 1_048_576.0,
            zip_mb: zip_size(&binary)? as f64 / 1_048_576.0,
        });
    }
    let stand_in = stand_in_get_item(
        &stand_ins.dynamodb_url,
        &table.name,
        &product_id,
        invocations,
    )
    .await?;
    Ok((figures, stand_in))
}

fn expect_ok(function: &str, outcome: &Outcome) -> Result<()> {
    // A job answers with what it did, not an HTTP reply.
    if function == "ReportsFunction" && matches!(outcome, Outcome::Response(_)) {
        return Ok(());
    }
    let status = match outcome {
        Outcome::Response(body) => serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|reply| reply["statusCode"].as_u64()),
        _ => None,
    };
    if status.is_some_and(|s| (200..300).contains(&s)) {
        return Ok(());
    }
    bail!(
        "{function} did not answer 2xx ({status:?}): {}",
        crate::lambda::describe(outcome)
    )
}

async fn seed_product(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    sku: &str,
    stock: i64,
) -> Result<String> {
    let config = shared::Config::from_lookup(|name| {
        (name == "IMAGES_BASE_URL").then(|| "http://127.0.0.1/images".to_owned())
    })?;
    let catalog =
        shared::catalog::Catalog::new(shared::db::Table::new(client.clone(), table), &config)?;
    let fields: shared::catalog::model::ProductFields =
        serde_json::from_value(serde_json::json!({
            "sku": sku, "name": "Benchmark mug", "description": "A product for the benchmark.",
            "price_cents": 1490, "category": "mugs", "stock": stock, "active": true
        }))?;
    let product = catalog
        .create(fields, shared::clock::now())
        .await
        .map_err(|e| anyhow::anyhow!("cannot seed a product: {e}"))?;
    Ok(product.product.id)
}

/// The stand-in's own time for the GetItem a product read makes: raw requests, no SDK.
async fn stand_in_get_item(endpoint: &str, table: &str, id: &str, count: usize) -> Result<f64> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let body = serde_json::json!({
        "TableName": table,
        "Key": {"pk": {"S": format!("PRODUCT#{id}")}, "sk": {"S": "PRODUCT"}},
        "ConsistentRead": true
    })
    .to_string();
    let mut durations = Vec::with_capacity(count);
    for _ in 0..count {
        let request = http::Request::post(endpoint)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", "DynamoDB_20120810.GetItem")
            // DynamoDB Local reads the access key from here; it does not check the signature.
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=local/20261121/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            )
            .body(Full::new(Bytes::from(body.clone())))?;
        let started = Instant::now();
        let response = client.request(request).await?;
        let status = response.status();
        let _ = response.into_body().collect().await?;
        durations.push(started.elapsed());
        if !status.is_success() {
            bail!("DynamoDB Local answered {status} to a raw GetItem");
        }
    }
    Ok(percentile(&durations, 0.50))
}

fn percentile(durations: &[Duration], fraction: f64) -> f64 {
    let mut sorted: Vec<f64> = durations.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    sorted.sort_by(f64::total_cmp);
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

/// A day of paid orders for the report to read, written straight into the table.
async fn seed_day_of_orders(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    cart: &[String],
) -> Result<()> {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    use shared::orders::model::{Line, OrderItem, Payment, ShippingAddress};
    let address: ShippingAddress = serde_json::from_value(serde_json::json!({
        "name": "Bench", "line1": "1 Main Street", "city": "Berlin",
        "postal_code": "10115", "country": "DE"
    }))?;
    let mut requests = Vec::with_capacity(REPORT_ORDERS);
    for n in 0..REPORT_ORDERS {
        let at_ms = REPORT_DAY_START_MS + (n as u64) * (86_400_000 / REPORT_ORDERS as u64);
        let id = shared::ids::Id::parse(&ulid::Ulid::from_parts(at_ms, n as u128).to_string())
            .context("a ULID is an id")?;
        let lines = cart
            .iter()
            .take(3)
            .enumerate()
            .map(|(i, product)| Line {
                product_id: product.clone(),
                sku: format!("BENCH-CART-{i}"),
                name: "Benchmark mug".to_owned(),
                unit_price_cents: 1490,
                quantity: 1 + (n % 3) as i64,
                line_total_cents: 1490 * (1 + (n % 3) as i64),
            })
            .collect();
        let created = i64::try_from(at_ms / 1000)?;
        let mut order = OrderItem::new(
            &id,
            "bench-customer",
            lines,
            "EUR",
            address.clone(),
            Payment {
                provider: "stripe".to_owned(),
                payment_intent_id: format!("pi_bench_{n}"),
                client_secret: String::new(),
                status: "succeeded".to_owned(),
            },
            created,
            created + 1800,
        );
        order.status = if n % 4 == 0 {
            shared::orders::state::OrderStatus::PendingPayment
        } else {
            shared::orders::state::OrderStatus::Paid
        };
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
            let output = client
                .batch_write_item()
                .request_items(table, batch)
                .send()
                .await?;
            pending = output.unprocessed_items.and_then(|mut u| u.remove(table));
        }
    }
    Ok(())
}

/// The Idempotency-Key of the checkout sample, replaced per invocation.
const CHECKOUT_KEY: &str = "checkout-7f3c2a";

/// The checkout sample with `cart` (one unit of each) and a customer's token.
fn checkout_event(sample: &str, cart: &[String], token: &str) -> Result<String> {
    let mut event: serde_json::Value = serde_json::from_str(sample)?;
    let items: Vec<serde_json::Value> = cart
        .iter()
        .map(|id| serde_json::json!({"product_id": id, "quantity": 1}))
        .collect();
    let mut body: serde_json::Value =
        serde_json::from_str(event["body"].as_str().unwrap_or_default())?;
    body["items"] = serde_json::Value::Array(items);
    event["body"] = serde_json::Value::String(body.to_string());
    event["headers"]["authorization"] = serde_json::Value::String(format!("Bearer {token}"));
    Ok(event.to_string())
}

/// An access token of a customer, signed with the key the stack's secret was given.
async fn customer_token(
    template: &Template,
    secrets: &aws_sdk_secretsmanager::Client,
) -> Result<String> {
    let secret = template
        .secrets
        .iter()
        .find(|s| s.name.contains("-keys"))
        .context("the template has no signing-key secret")?;
    let text = shared::secrets::read_string(secrets, &secret.name).await?;
    let config = shared::Config::from_lookup(|_| None)?;
    let keys = shared::secrets::Keys::parse(&secret.name, &text, config.tokens)?;
    let customer = shared::ids::Id::new().to_string();
    Ok(keys.issuer().issue(
        &customer,
        shared::auth::Role::Customer,
        shared::clock::now(),
    ))
}

/// Warm invocations counted under callgrind.
const CALLGRIND_RUNS: usize = 50;

/// Runs the function under callgrind: instructions from its start through its first
/// invocation, and per warm invocation after a warm-up (counters zeroed, then dumped after
/// [`CALLGRIND_RUNS`] invocations), read from the dumps' `summary:` lines.
async fn count_instructions(
    spec: &crate::lambda::FunctionSpec,
    dir: &Path,
    logs: &Logs,
    event: impl Fn(usize) -> Bytes,
) -> Result<(u64, u64)> {
    std::fs::create_dir_all(dir)?;
    let base = dir.join(&spec.logical_id);
    for entry in std::fs::read_dir(dir)?.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(&spec.logical_id)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let wrapper = dir.join(format!("{}.sh", spec.logical_id));
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file={}.%p {}\n",
            base.display(),
            spec.executable.display()
        ),
    )?;
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))?;
    }
    let mut traced = spec.clone();
    traced.executable = wrapper;
    traced.timeout = Duration::from_secs(120);
    // valgrind is found through the PATH the function is given.
    traced
        .environment
        .push(("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()));
    let pool = Pool::new(traced, logs.clone());
    let first = pool.invoke(event(0), "callgrind-first").await;
    expect_ok(&spec.logical_id, &first.outcome)?;
    let pid = pool.idle_pids().first().copied().context("no process")?;
    let control = |argument: &str| {
        std::process::Command::new("callgrind_control")
            .arg(argument)
            .arg(pid.to_string())
            .output()
            .map_err(anyhow::Error::from)
            .and_then(|o| {
                if o.status.success() {
                    Ok(())
                } else {
                    bail!("callgrind_control {argument} failed")
                }
            })
    };
    control("--dump")?;
    let start = newest_summary(dir, &spec.logical_id)?;
    for i in 1..=20 {
        let warm = pool.invoke(event(i), "callgrind-warmup").await;
        expect_ok(&spec.logical_id, &warm.outcome)?;
    }
    control("--zero")?;
    for i in 0..CALLGRIND_RUNS {
        let warm = pool.invoke(event(100 + i), "callgrind").await;
        expect_ok(&spec.logical_id, &warm.outcome)?;
    }
    control("--dump")?;
    let warm = newest_summary(dir, &spec.logical_id)?;
    pool.shutdown();
    Ok((start, warm / CALLGRIND_RUNS as u64))
}

/// The `summary:` (instructions) of the newest callgrind dump of `function` in `dir`.
fn newest_summary(dir: &Path, function: &str) -> Result<u64> {
    let newest = std::fs::read_dir(dir)?
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(function) && !name.ends_with(".sh")
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .context("no callgrind dump")?;
    std::fs::read_to_string(newest.path())?
        .lines()
        .find_map(|l| l.strip_prefix("summary:"))
        .and_then(|n| n.trim().parse().ok())
        .context("a callgrind dump without a summary")
}

fn median(durations: &[Duration]) -> f64 {
    percentile(durations, 0.5)
}

/// User + system CPU seconds of a process so far.
fn cpu_seconds(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_default()
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Ok((ticks(11) + ticks(12)) / TICKS_PER_SECOND)
}

fn peak_memory_kb(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/<pid>/status")
}

/// The size of a zip holding the binary as `bootstrap`, deflated at the best level: the local
/// header, the data, the central directory entry and the end record.
fn zip_size(binary: &[u8]) -> Result<usize> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(binary)?;
    let deflated = encoder.finish()?.len();
    let name = "bootstrap".len();
    Ok(30 + name + deflated + 46 + name + 22)
}
