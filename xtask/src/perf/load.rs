//! `cargo xtask load`: a bounded load run through the local API on loopback, on release builds:
//! a minute of mixed traffic at a few hundred requests a second, each stream at a fixed rate.
//!
//! - **browse** and **list** (product pages and catalogue pages) and **login** are driven by
//!   oha, at a fixed rate each (`-q`), so a slow answer does not slow the offered load;
//! - **checkout** is driven here: every `POST /orders` needs its own `Idempotency-Key` (oha
//!   sends the same headers every time, and a replay would measure the idempotency store, not
//!   a checkout). It is paced the same way: each request starts on its schedule, whether or not
//!   the ones before it have answered, and its latency counts from that scheduled start.
//!
//! Every stream must end with no error and no answer outside 2xx; the figures are written to
//! `.local/load/results.md`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::process::Command;

use crate::local::provision;
use crate::local::stack::{Stack, StackOptions, build_functions};
use crate::local::standins::{StandInOptions, StandIns};
use crate::local::template::NameOptions;
use crate::logs::{Logs, emit};
use crate::perf::bench::Shop;
use crate::tools::Tools;

/// `cargo xtask load`'s options.
#[derive(Debug, clap::Args)]
pub struct LoadOptions {
    /// How long the load runs.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Product pages per second (`GET /products/{id}`).
    #[arg(long, default_value_t = 200)]
    browse_rate: u32,
    /// Catalogue pages per second (`GET /products`).
    #[arg(long, default_value_t = 40)]
    list_rate: u32,
    /// Logins per second (each checks a password hash).
    #[arg(long, default_value_t = 2)]
    login_rate: u32,
    /// Checkouts per second (a PaymentIntent at localstripe and one transaction each).
    #[arg(long, default_value_t = 10)]
    checkout_rate: u32,
}

/// One stream's figures.
struct Stream {
    name: &'static str,
    what: String,
    offered: u32,
    requests: u64,
    per_second: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// Answers outside 2xx and transport errors, by status or error text.
    failures: Vec<(String, u64)>,
}

pub async fn load(root: &Path, options: LoadOptions) -> Result<()> {
    let tools = Tools::new(root);
    let stand_in_tools = tools.ensure_stand_ins().await?;
    let oha = tools.ensure_oha().await?;
    let template = root.join("template.yaml");
    build_functions(root, &[&template], true, &[]).await?;
    let binaries = crate::tools::target_dir(root)?.join("release");
    let dir = tools.local.join("load");
    let stand_ins = StandIns::start(
        &StandInOptions::ephemeral(dir.join("stand-ins")),
        &stand_in_tools,
    )
    .await?;
    let logs = Logs::new(Some(&dir.join("functions.log")), false)?;
    let (stack, stand_ins) = Stack::start_or_stop(
        &StackOptions {
            template,
            names: NameOptions {
                stack_name: "storefront-load".into(),
                suffix: "-load".into(),
                // One customer stands in for every shopper: the per-account cap on unpaid
                // orders would refuse all its checkouts but three.
                parameters: [("MaxUnpaidOrders".to_owned(), "1000000".to_owned())].into(),
                queue_endpoint: None,
            },
            api_port: 0,
            invoke_port: 0,
            env_vars: None,
            binaries,
            dynamodb_door: None,
        },
        stand_ins,
        &logs,
    )
    .await?;
    let result = drive(&stack, &stand_ins, &oha, &options).await;
    stack.stop();
    stand_ins.stop().await;
    let streams = result?;

    let seconds = options.seconds;
    let total: u64 = streams.iter().map(|s| s.requests).sum();
    let mut report = format!(
        "{seconds} s of mixed load through the local API on loopback (release builds, the local runner, DynamoDB Local, moto and localstripe on the same two cores): {total} requests, {:.0} a second.\n\n\
         | stream | requests | offered / s | answered / s | p50 | p90 | p99 | max | errors |\n\
         |---|---|---|---|---|---|---|---|---|\n",
        total as f64 / seconds as f64
    );
    for s in &streams {
        let failures = if s.failures.is_empty() {
            "0".to_owned()
        } else {
            s.failures
                .iter()
                .map(|(what, n)| format!("{n} × {what}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        report.push_str(&format!(
            "| {} ({}) | {} | {} | {:.1} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {failures} |\n",
            s.name, s.what, s.requests, s.offered, s.per_second, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms
        ));
    }
    std::fs::create_dir_all(&dir)?;
    let out = dir.join("results.md");
    std::fs::write(&out, &report)?;
    emit(&format!("\n{report}\n(written to {})", out.display()));
    if streams.iter().any(|s| !s.failures.is_empty()) {
        bail!(
            "the load run had errors (see the table; the functions' log is .local/load/functions.log)"
        );
    }
    Ok(())
}

async fn drive(
    stack: &Stack,
    stand_ins: &StandIns,
    oha: &Path,
    options: &LoadOptions,
) -> Result<Vec<Stream>> {
    let clients = provision::Clients::of(stand_ins).await;
    let shop = Shop::seed(&stack.template, &clients, &stand_ins.stripe_url).await?;
    let base = format!("http://{}", stack.api);
    let products: Vec<String> = shop
        .cart()
        .iter()
        .chain(std::iter::once(&shop.product_id))
        .cloned()
        .collect();
    let duration = format!("{}s", options.seconds);
    let oha_stream = |rate: u32, concurrency: u32, extra: Vec<String>| {
        let mut command = Command::new(oha);
        command
            .args(["--no-tui", "--output-format", "json", "-z", &duration])
            // Requests still running at the end are waited for, not counted as errors.
            .arg("--wait-ongoing-requests-after-deadline")
            // Latency counts from each request's scheduled start (no coordinated omission).
            .arg("--latency-correction")
            .args(["-q", &rate.to_string(), "-c", &concurrency.to_string()])
            .args(extra)
            .kill_on_drop(true);
        command
    };
    let browse = oha_stream(
        options.browse_rate,
        32,
        vec![
            "--rand-regex-url".into(),
            // oha reads a dot in this pattern as a dot; ids and the address need no escaping.
            format!("{base}/products/({})", products.join("|")),
        ],
    );
    let list = oha_stream(
        options.list_rate,
        8,
        vec![format!("{base}/products?limit=20")],
    );
    let login = oha_stream(
        options.login_rate,
        4,
        vec![
            "-m".into(),
            "POST".into(),
            "-T".into(),
            "application/json".into(),
            "-d".into(),
            json!({"email": shop.customer_email(), "password": shop.password()}).to_string(),
            format!("{base}/auth/login"),
        ],
    );
    emit(&format!(
        "· {} s of load on {base}: {} product pages, {} catalogue pages, {} logins and {} checkouts a second",
        options.seconds,
        options.browse_rate,
        options.list_rate,
        options.login_rate,
        options.checkout_rate
    ));
    let (browse, list, login, checkout) = tokio::join!(
        run_oha(browse),
        run_oha(list),
        run_oha(login),
        checkouts(
            &base,
            &shop,
            options.checkout_rate,
            Duration::from_secs(options.seconds)
        )
    );
    let stream = |name, what: &str, offered, figures: Result<Figures>| -> Result<Stream> {
        let figures = figures.with_context(|| format!("the {name} stream"))?;
        Ok(Stream {
            name,
            what: what.to_owned(),
            offered,
            requests: figures.requests,
            per_second: figures.requests as f64 / options.seconds as f64,
            p50_ms: figures.p50_ms,
            p90_ms: figures.p90_ms,
            p99_ms: figures.p99_ms,
            max_ms: figures.max_ms,
            failures: figures.failures,
        })
    };
    Ok(vec![
        stream("browse", "GET /products/{id}", options.browse_rate, browse)?,
        stream("list", "GET /products", options.list_rate, list)?,
        stream("login", "POST /auth/login", options.login_rate, login)?,
        stream(
            "checkout",
            "POST /orders, 1 line",
            options.checkout_rate,
            checkout,
        )?,
    ])
}

struct Figures {
    requests: u64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    failures: Vec<(String, u64)>,
}

/// Runs one oha and reads its JSON summary.
async fn run_oha(mut command: Command) -> Result<Figures> {
    let output = command.output().await.context("cannot run oha")?;
    if !output.status.success() {
        bail!(
            "oha failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let summary: Value = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "oha's output is not JSON: {}",
            String::from_utf8_lossy(&output.stdout)
                .chars()
                .take(300)
                .collect::<String>()
        )
    })?;
    let seconds = |v: &Value| v.as_f64().unwrap_or_default() * 1000.0;
    let mut failures = Vec::new();
    let mut requests = 0;
    if let Some(statuses) = summary["statusCodeDistribution"].as_object() {
        for (status, count) in statuses {
            let count = count.as_u64().unwrap_or_default();
            requests += count;
            if !status.starts_with('2') {
                failures.push((status.clone(), count));
            }
        }
    }
    if let Some(errors) = summary["errorDistribution"].as_object() {
        for (error, count) in errors {
            let count = count.as_u64().unwrap_or_default();
            requests += count;
            failures.push((error.clone(), count));
        }
    }
    Ok(Figures {
        requests,
        p50_ms: seconds(&summary["latencyPercentiles"]["p50"]),
        p90_ms: seconds(&summary["latencyPercentiles"]["p90"]),
        p99_ms: seconds(&summary["latencyPercentiles"]["p99"]),
        max_ms: seconds(&summary["summary"]["slowest"]),
        failures,
    })
}

/// Checkouts at `rate` a second for `length`, each with its own key, paced open-loop.
async fn checkouts(base: &str, shop: &Shop, rate: u32, length: Duration) -> Result<Figures> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let client = Arc::new(client);
    let url: http::Uri = format!("{base}/orders").parse()?;
    let token = format!("Bearer {}", shop.customer_token());
    let product = shop.cart().first().context("no product to buy")?.clone();
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut n = 0u64;
    while start.elapsed() < length {
        let scheduled = start + interval.mul_f64(n as f64);
        tokio::time::sleep_until(scheduled.into()).await;
        let body = json!({
            "items": [{"product_id": product, "quantity": 1}],
            "shipping_address": {"name": "Load", "line1": "1 Main Street", "city": "Berlin",
                "postal_code": "10115", "country": "DE"}
        })
        .to_string();
        let request = http::Request::post(url.clone())
            .header("content-type", "application/json")
            .header("authorization", &token)
            .header("idempotency-key", format!("load-{n}"))
            .body(Full::new(Bytes::from(body)))?;
        let client = Arc::clone(&client);
        tasks.spawn(async move {
            let outcome = match client.request(request).await {
                Ok(response) => {
                    let status = response.status();
                    let _ = response.into_body().collect().await;
                    if status.is_success() {
                        None
                    } else {
                        Some(status.as_u16().to_string())
                    }
                }
                Err(err) => Some(err.to_string()),
            };
            (scheduled.elapsed(), outcome)
        });
        n += 1;
    }
    let mut latencies = Vec::new();
    let mut failures = std::collections::BTreeMap::<String, u64>::new();
    while let Some(done) = tasks.join_next().await {
        let (latency, outcome) = done?;
        latencies.push(latency.as_secs_f64() * 1000.0);
        if let Some(what) = outcome {
            *failures.entry(what).or_default() += 1;
        }
    }
    latencies.sort_by(f64::total_cmp);
    let at = |fraction: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * fraction).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    Ok(Figures {
        requests: latencies.len() as u64,
        p50_ms: at(0.50),
        p90_ms: at(0.90),
        p99_ms: at(0.99),
        max_ms: latencies.last().copied().unwrap_or_default(),
        failures: failures.into_iter().collect(),
    })
}
