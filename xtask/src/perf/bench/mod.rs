//! `cargo xtask bench`: every function of the template, and a null `lambda_http` function (the
//! floor) beside them, measured in one run through the local runner's Runtime API on one
//! release build, against the stand-ins:
//!
//! - **init**: process start to its first `GET /next` (median of fresh processes);
//! - **warm latency** p50 / p99 of sequential invocations;
//! - **CPU per invocation**: the time the process's threads ran over the run, divided;
//! - **peak memory**: the process's `VmHWM`;
//! - **zip**: the deployable zip of the binary (one `bootstrap`, deflated as `zip -9` does);
//! - **instructions** (callgrind): start plus first invocation, and per warm invocation.
//!
//! Each figure is also given as a ratio to the floor's in the same run: absolute figures move
//! from machine to machine, and CPU time on a shared machine by ±50 % between runs; instruction
//! counts repeat whatever else the machine does. What each function is asked to do, and the
//! state it is given, is in [`subjects`].

mod prepare;
mod shop;
pub mod subjects;

pub use shop::Shop;

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::local::lambda::{FunctionSpec, Pool};
use crate::local::provision;
use crate::local::stack::{EnvOverrides, Reach, build_binaries, function_spec};
use crate::local::standins::{StandInOptions, StandIns};
use crate::local::template::{NameOptions, Template};
use crate::logs::{Logs, emit};
use crate::tools::Tools;
use subjects::{CHECKOUT_LINES, FLOOR, FLOOR_BINARY, Load, REPORT_ORDERS, SUBJECTS, Subject};

struct Figures {
    function: &'static str,
    does: &'static str,
    init_ms: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_ms: f64,
    peak_mb: f64,
    zip_mb: f64,
    /// Instructions for the start and the first invocation, and per warm invocation.
    instructions: Option<(u64, u64)>,
}

/// How many times a function is run, by its [`Load`].
#[derive(Debug, Clone, Copy)]
struct Rounds {
    cold: usize,
    warmup: usize,
    warm: usize,
    callgrind_warmup: usize,
    callgrind: usize,
}

/// `cargo xtask bench`'s options.
#[derive(Debug, clap::Args)]
pub struct BenchOptions {
    /// Warm invocations per function (a tenth of them, at most 10, for the heavy ones: password
    /// hashes, image re-encoding, the report).
    #[arg(long, default_value_t = 300)]
    invocations: usize,
    /// Cold starts per function (at most 3 for the heavy ones).
    #[arg(long, default_value_t = 10)]
    cold_starts: usize,
    /// Measure this function only (its logical id), beside the floor.
    #[arg(long, value_name = "NAME")]
    only: Option<String>,
    /// Skip the instruction counts under valgrind's callgrind (they take about half the run).
    #[arg(long)]
    no_callgrind: bool,
    /// Measure the binaries already built in DIR instead of building release ones (a build
    /// with symbols, to read a callgrind profile by function).
    #[arg(long, value_name = "DIR")]
    binaries: Option<std::path::PathBuf>,
}

pub async fn bench(root: &Path, options: BenchOptions) -> Result<()> {
    let started = Instant::now();
    let tools = Tools::new(root);
    let stand_in_tools = tools.ensure_stand_ins().await?;
    let mut names = NameOptions {
        stack_name: "storefront-bench".into(),
        suffix: "-bench".into(),
        // The benchmark's one customer checks out hundreds of times: without this the
        // per-account cap on unpaid orders would measure a 429 from the fourth on.
        parameters: [("MaxUnpaidOrders".to_owned(), "1000000".to_owned())].into(),
        queue_endpoint: None,
    };
    let chosen: Vec<&'static Subject> = SUBJECTS
        .iter()
        .filter(|s| s.id == FLOOR || options.only.as_deref().is_none_or(|only| only == s.id))
        .collect();
    if let Some(only) = &options.only
        && !chosen.iter().any(|s| s.id == only)
    {
        bail!("{only} is not a function the benchmark knows");
    }
    let listed = Template::load(&root.join("template.yaml"), &names)?;
    let mut binaries = vec![FLOOR_BINARY.to_owned()];
    for subject in chosen.iter().filter(|s| s.id != FLOOR) {
        let function = listed
            .functions
            .iter()
            .find(|f| f.logical_id == subject.id)
            .with_context(|| format!("{} is not in the template", subject.id))?;
        binaries.push(function.binary.clone());
    }
    if options.only.is_none() {
        subjects::cover(&listed).map_err(anyhow::Error::msg)?;
    }
    let release = match &options.binaries {
        Some(dir) => dir.clone(),
        None => {
            let build = Instant::now();
            build_binaries(root, &binaries, true, &[]).await?;
            emit(&format!(
                "· release build of {} binaries: {:.0} s",
                binaries.len(),
                build.elapsed().as_secs_f64()
            ));
            crate::tools::target_dir(root)?.join("release")
        }
    };

    let stand_ins = StandIns::start(
        &StandInOptions::ephemeral(tools.local.join("bench/stand-ins")),
        &stand_in_tools,
    )
    .await?;
    // Loaded again now that localstripe's address is known: the checkout pays there.
    names.parameters.insert(
        crate::local::standins::STRIPE_BASE_PARAMETER.to_owned(),
        stand_ins.stripe_url.clone(),
    );
    let result = match Template::load(&root.join("template.yaml"), &names) {
        Ok(template) => {
            measure(
                root,
                &template,
                &chosen,
                &stand_ins,
                &release,
                &options,
                (!options.no_callgrind).then(|| tools.local.join("bench/callgrind")),
            )
            .await
        }
        Err(err) => Err(err),
    };
    stand_ins.stop().await;
    let (figures, stand_in_p50) = result?;
    let report = report(&figures, stand_in_p50, &options, started.elapsed());
    let out = tools.local.join("bench/results.md");
    std::fs::create_dir_all(out.parent().unwrap_or(root))?;
    std::fs::write(&out, &report)?;
    emit(&format!("\n{report}\n(written to {})", out.display()));
    Ok(())
}

fn report(
    figures: &[Figures],
    stand_in_p50: f64,
    options: &BenchOptions,
    took: Duration,
) -> String {
    let floor = figures.iter().find(|f| f.function == FLOOR);
    let ratio = |value: f64, of: fn(&Figures) -> f64| match floor {
        Some(floor) if of(floor) > 0.0 => format!("{:.2}×", value / of(floor)),
        _ => "–".to_owned(),
    };
    let mut out = format!(
        "Release builds (host CPU), through the local runner's Runtime API, against the stand-ins; {} sequential warm invocations and {} cold starts per function ({} and {} for the heavy ones); the run took {:.1} min.\n\n\
         | function | one invocation | init | warm p50 | warm p99 | CPU / invocation | peak memory | zip |\n\
         |---|---|---|---|---|---|---|---|\n",
        options.invocations,
        options.cold_starts,
        heavy_rounds(options).warm,
        heavy_rounds(options).cold,
        took.as_secs_f64() / 60.0
    );
    for f in figures {
        out.push_str(&format!(
            "| {} | {} | {:.1} ms | {:.2} ms | {:.2} ms | {:.3} ms | {:.1} MB | {:.2} MB |\n",
            f.function, f.does, f.init_ms, f.p50_ms, f.p99_ms, f.cpu_ms, f.peak_mb, f.zip_mb
        ));
    }
    out.push_str(
        "\nAs ratios to the floor in the same run (instructions from callgrind):\n\n\
         | function | init | CPU / invocation | peak memory | zip | instructions: start + first | per warm invocation |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for f in figures {
        let (first, warm) = match (f.instructions, floor.and_then(|f| f.instructions)) {
            (Some((first, warm)), Some((floor_first, floor_warm))) => (
                format!(
                    "{:.1} M ({:.2}×)",
                    first as f64 / 1e6,
                    first as f64 / floor_first.max(1) as f64
                ),
                format!(
                    "{:.0} k ({:.2}×)",
                    warm as f64 / 1e3,
                    warm as f64 / floor_warm.max(1) as f64
                ),
            ),
            _ => ("–".to_owned(), "–".to_owned()),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {first} | {warm} |\n",
            f.function,
            ratio(f.init_ms, |f| f.init_ms),
            ratio(f.cpu_ms, |f| f.cpu_ms),
            ratio(f.peak_mb, |f| f.peak_mb),
            ratio(f.zip_mb, |f| f.zip_mb),
        ));
    }
    let find = |id: &str| figures.iter().find(|f| f.function == id);
    if let Some(read) = find("ProductsGetFunction") {
        out.push_str(&format!(
            "\nDynamoDB Local answers the same GetItem in {stand_in_p50:.2} ms p50 on its own: a product read adds {:.2} ms p50 above it.\n",
            read.p50_ms - stand_in_p50
        ));
        if let Some(checkout) = find("OrdersCreateFunction") {
            let instructions = match (checkout.instructions, read.instructions) {
                (Some((_, c)), Some((_, r))) => {
                    format!(", {:.2} times its instructions", c as f64 / r.max(1) as f64)
                }
                _ => String::new(),
            };
            out.push_str(&format!(
                "A {CHECKOUT_LINES}-line checkout costs {:.2} times the CPU of a product read{instructions}.\n",
                checkout.cpu_ms / read.cpu_ms.max(f64::EPSILON)
            ));
        }
    }
    if let Some(job) = find("ReportsFunction") {
        out.push_str(&format!(
            "The daily report over a day of {REPORT_ORDERS} orders (three lines each, read page by page) takes {:.0} ms p50 and peaks at {:.1} MB.\n",
            job.p50_ms, job.peak_mb
        ));
    }
    out
}

fn light_rounds(options: &BenchOptions) -> Rounds {
    Rounds {
        cold: options.cold_starts,
        warmup: 20,
        warm: options.invocations,
        callgrind_warmup: 10,
        callgrind: CALLGRIND_RUNS,
    }
}

fn heavy_rounds(options: &BenchOptions) -> Rounds {
    Rounds {
        cold: options.cold_starts.min(3),
        warmup: 1,
        warm: (options.invocations / 10).clamp(1, 10),
        callgrind_warmup: 1,
        callgrind: 3,
    }
}

async fn measure(
    root: &Path,
    template: &Template,
    subjects: &[&'static Subject],
    stand_ins: &StandIns,
    release: &Path,
    options: &BenchOptions,
    callgrind: Option<std::path::PathBuf>,
) -> Result<(Vec<Figures>, f64)> {
    let logs = Logs::new(None, false)?;
    let clients = provision::Clients::of(stand_ins).await;
    provision::provision(template, &clients, &logs).await?;
    let mut shop = Shop::seed(template, &clients, &stand_ins.stripe_url).await?;

    let mut figures = Vec::new();
    for subject in subjects {
        let spec = spec_of(subject, template, stand_ins, release, &logs)?;
        let sample: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join(subject.sample))?)?;
        let rounds = match subject.load {
            Load::Light => light_rounds(options),
            Load::Heavy => heavy_rounds(options),
        };
        emit(&format!("· {}", subject.id));
        let mut driver = Driver {
            subject,
            sample,
            previous: None,
        };

        let mut inits = Vec::new();
        for _ in 0..rounds.cold {
            let pool = Pool::new(spec.clone(), logs.clone());
            let invoked = driver.invoke(&pool, &mut shop).await;
            pool.shutdown();
            inits.extend(invoked?.init);
        }

        let pool = Pool::new(spec.clone(), logs.clone());
        for _ in 0..rounds.warmup {
            driver.invoke(&pool, &mut shop).await?;
        }
        let pid = pool
            .idle_pids()
            .first()
            .copied()
            .context("no warm process")?;
        let cpu_before = cpu_seconds(pid)?;
        let mut durations = Vec::with_capacity(rounds.warm);
        for _ in 0..rounds.warm {
            durations.push(driver.invoke(&pool, &mut shop).await?.duration);
        }
        let cpu = cpu_seconds(pid)? - cpu_before;
        let peak_kb = peak_memory_kb(pid)?;
        pool.shutdown();

        let instructions = match &callgrind {
            Some(dir) => Some(
                count_instructions(&spec, dir, &logs, rounds, &mut driver, &mut shop)
                    .await
                    .with_context(|| format!("callgrind of {}", subject.id))?,
            ),
            None => None,
        };
        let binary = std::fs::read(&spec.executable)?;
        figures.push(Figures {
            instructions,
            function: subject.id,
            does: subject.does,
            init_ms: median(&inits),
            p50_ms: percentile(&durations, 0.50),
            p99_ms: percentile(&durations, 0.99),
            cpu_ms: cpu * 1000.0 / rounds.warm.max(1) as f64,
            peak_mb: peak_kb / 1024.0,
            zip_mb: zip_size(&binary)? as f64 / 1_048_576.0,
        });
    }
    let stand_in = stand_in_get_item(
        &stand_ins.dynamodb_url,
        &template
            .tables
            .first()
            .context("the template has no table")?
            .name,
        &shop.product_id,
        options.invocations,
    )
    .await?;
    Ok((figures, stand_in))
}

/// Makes a subject's events and checks its answers, remembering the last one.
struct Driver {
    subject: &'static Subject,
    sample: serde_json::Value,
    previous: Option<Bytes>,
}

impl Driver {
    async fn invoke(
        &mut self,
        pool: &Pool,
        shop: &mut Shop,
    ) -> Result<crate::local::lambda::Invoked> {
        let event = shop
            .event(self.subject, &self.sample, self.previous.as_ref())
            .await?;
        let invoked = pool.invoke(event, "bench").await;
        subjects::check(self.subject.answer, &invoked.outcome)
            .map_err(|why| anyhow::anyhow!("{} did not succeed: {why}", self.subject.id))?;
        if let crate::local::lambda::Outcome::Response(body) = &invoked.outcome {
            self.previous = Some(body.clone());
        }
        Ok(invoked)
    }
}

/// How the runner starts `subject`: the floor as the health function is started, with its own
/// binary.
fn spec_of(
    subject: &Subject,
    template: &Template,
    stand_ins: &StandIns,
    release: &Path,
    logs: &Logs,
) -> Result<FunctionSpec> {
    let id = if subject.id == FLOOR {
        "HealthFunction"
    } else {
        subject.id
    };
    let function = template
        .functions
        .iter()
        .find(|f| f.logical_id == id)
        .with_context(|| format!("{id} is not in the template"))?;
    let mut spec = function_spec(
        function,
        &EnvOverrides::default(),
        &Reach::of(stand_ins),
        release,
        logs,
    )?;
    if subject.id == FLOOR {
        spec.logical_id = FLOOR.to_owned();
        spec.executable = release.join(FLOOR_BINARY);
    }
    Ok(spec)
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

/// Warm invocations counted under callgrind (light functions).
const CALLGRIND_RUNS: usize = 50;

/// Runs the function under callgrind: instructions from its start through its first
/// invocation, and per warm invocation after a warm-up (counters zeroed, then dumped after
/// the rounds' invocations), read from the dumps' `summary:` lines.
async fn count_instructions(
    spec: &FunctionSpec,
    dir: &Path,
    logs: &Logs,
    rounds: Rounds,
    driver: &mut Driver,
    shop: &mut Shop,
) -> Result<(u64, u64)> {
    std::fs::create_dir_all(dir)?;
    let base = dir.join(&spec.logical_id);
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.split('.').next() == Some(spec.logical_id.as_str()) {
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
    traced.timeout = Duration::from_secs(300);
    // valgrind is found through the PATH the function is given.
    traced
        .environment
        .push(("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()));
    let pool = Pool::new(traced, logs.clone());
    let counted = async {
        driver.invoke(&pool, shop).await?;
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
        for _ in 0..rounds.callgrind_warmup {
            driver.invoke(&pool, shop).await?;
        }
        control("--zero")?;
        for _ in 0..rounds.callgrind {
            driver.invoke(&pool, shop).await?;
        }
        control("--dump")?;
        let warm = newest_summary(dir, &spec.logical_id)?;
        anyhow::Ok((start, warm / rounds.callgrind.max(1) as u64))
    }
    .await;
    pool.shutdown();
    counted
}

/// The `summary:` (instructions) of the newest callgrind dump of `function` in `dir`.
fn newest_summary(dir: &Path, function: &str) -> Result<u64> {
    let newest = std::fs::read_dir(dir)?
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.split('.').next() == Some(function) && !name.ends_with(".sh")
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

/// CPU seconds a process's threads have run so far, from the scheduler's own nanosecond
/// accounting (`/proc/<pid>/task/*/schedstat`; `stat`'s ticks are 10 ms, too coarse for a
/// function that works a few microseconds per invocation).
fn cpu_seconds(pid: u32) -> Result<f64> {
    let mut nanoseconds = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))?.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue; // the thread ended meanwhile
        };
        nanoseconds += stat
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or_default();
    }
    Ok(nanoseconds as f64 / 1e9)
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
