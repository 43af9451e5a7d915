//! One template served locally: its resources created in the stand-ins, its functions' warm
//! pools, the HTTP API, the Invoke API, and its S3 and schedule triggers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::task::JoinHandle;

use crate::local::api::{Api, Router};
use crate::local::invoke::Invoker;
use crate::local::lambda::{FunctionSpec, Pool};
use crate::local::provision;
use crate::local::standins::StandIns;
use crate::local::template::{NameOptions, Template};
use crate::local::triggers;
use crate::logs::{Logs, emit};

#[derive(Debug, Clone)]
pub struct StackOptions {
    pub template: PathBuf,
    pub names: NameOptions,
    /// 0 for any free port.
    pub api_port: u16,
    pub invoke_port: u16,
    /// Variable overrides in `sam local`'s `--env-vars` format.
    pub env_vars: Option<PathBuf>,
    /// Where the built binaries are (`target/debug` or `target/release`).
    pub binaries: PathBuf,
    /// Where the functions reach DynamoDB when not at DynamoDB Local itself: the test run's
    /// fault door ([`crate::verify::faults`]).
    pub dynamodb_door: Option<String>,
}

pub struct Stack {
    pub api: SocketAddr,
    pub invoke: SocketAddr,
    pub template: Template,
    pools: BTreeMap<String, Arc<Pool>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Stack {
    pub async fn start(options: &StackOptions, stand_ins: &StandIns, logs: &Logs) -> Result<Self> {
        let mut names = NameOptions {
            queue_endpoint: Some(stand_ins.moto_url.clone()),
            ..options.names.clone()
        };
        names
            .parameters
            .entry(crate::local::standins::STRIPE_BASE_PARAMETER.to_owned())
            .or_insert_with(|| stand_ins.stripe_url.clone());
        let template = Template::load(&options.template, &names)?;
        let overrides = match &options.env_vars {
            Some(path) => EnvOverrides::load(path)?,
            None => EnvOverrides::default(),
        };
        let api_listener = bind(options.api_port, "the API").await?;
        let invoke_listener = bind(options.invoke_port, "the Invoke API").await?;

        let clients = provision::Clients::of(stand_ins).await;
        let sqs = clients.sqs.clone();
        provision::provision(&template, &clients, logs).await?;
        let wirings =
            triggers::wire_s3(&template, &clients.s3, &sqs, &options.names.suffix).await?;

        let reach = match &options.dynamodb_door {
            Some(door) => Reach {
                dynamodb: door,
                ..Reach::of(stand_ins)
            },
            None => Reach::of(stand_ins),
        };
        let mut pools = BTreeMap::new();
        for function in &template.functions {
            let spec = function_spec(function, &overrides, &reach, &options.binaries, logs)?;
            pools.insert(
                function.logical_id.clone(),
                Arc::new(Pool::new(spec, logs.clone())),
            );
        }

        let api_address = api_listener.local_addr()?;
        let invoke_address = invoke_listener.local_addr()?;
        let mut tasks = vec![
            tokio::spawn(crate::local::api::serve(
                api_listener,
                Arc::new(Api {
                    router: Router::from_template(&template),
                    pools: pools.clone(),
                    docs: crate::local::api::Docs::beside(&options.template)?,
                }),
            )),
            tokio::spawn(crate::local::invoke::serve(
                invoke_listener,
                Arc::new(Invoker {
                    pools: pools.clone(),
                    logs: logs.clone(),
                }),
            )),
        ];
        tasks.extend(triggers::poll_s3(wirings, sqs.clone(), &pools, logs));
        tasks.extend(triggers::poll_sqs(&template, sqs, &pools, logs));
        tasks.extend(triggers::start_schedules(
            &template,
            &options.names.stack_name,
            &pools,
            logs,
        )?);
        Ok(Self {
            api: api_address,
            invoke: invoke_address,
            template,
            pools,
            tasks,
        })
    }

    /// [`Stack::start`] on `stand_ins`, which are stopped if the stack cannot start; both are
    /// handed back otherwise.
    pub async fn start_or_stop(
        options: &StackOptions,
        stand_ins: StandIns,
        logs: &Logs,
    ) -> Result<(Self, StandIns)> {
        match Self::start(options, &stand_ins, logs).await {
            Ok(stack) => Ok((stack, stand_ins)),
            Err(err) => {
                stand_ins.stop().await;
                Err(err)
            }
        }
    }

    /// Stops the servers and triggers and kills every function process.
    pub fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        for pool in self.pools.values() {
            pool.shutdown();
        }
    }

    /// What the stack serves, for the start-up banner.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (method, path, function) in self.template.routes() {
            out.push_str(&format!("    {method:6} {path:32} {function}\n"));
        }
        for (function, event) in self.template.events() {
            match event {
                crate::local::template::Event::S3 { bucket, .. } => out.push_str(&format!(
                    "    S3     {:32} {}\n",
                    self.template
                        .bucket(bucket)
                        .map_or(bucket.as_str(), |b| &b.name),
                    function.logical_id
                )),
                crate::local::template::Event::Sqs { queue, .. } => {
                    out.push_str(&format!("    SQS    {queue:32} {}\n", function.logical_id))
                }
                crate::local::template::Event::Schedule { expression, .. } => out.push_str(
                    &format!("    every  {expression:32} {}\n", function.logical_id),
                ),
                _ => {}
            }
        }
        out
    }
}

/// How a function's process is started: its binary, and its environment as Lambda would set
/// it, pointed at the stand-ins.
pub fn function_spec(
    function: &crate::local::template::Function,
    overrides: &EnvOverrides,
    reach: &Reach<'_>,
    binaries: &Path,
    logs: &Logs,
) -> Result<FunctionSpec> {
    let executable = binaries.join(&function.binary);
    if !executable.is_file() {
        bail!(
            "{} is not built ({}); `cargo xtask dev` builds it",
            function.logical_id,
            executable.display()
        );
    }
    let mut environment = overrides.apply(&function.logical_id, &function.environment, logs);
    environment.extend(stand_in_environment(reach));
    if let Some(format) = &function.log_format {
        environment.push(("AWS_LAMBDA_LOG_FORMAT".into(), format.clone()));
    }
    if let Some(level) = &function.log_level {
        environment.push(("AWS_LAMBDA_LOG_LEVEL".into(), level.clone()));
    }
    Ok(FunctionSpec {
        logical_id: function.logical_id.clone(),
        executable,
        environment,
        timeout: Duration::from_secs(function.timeout_secs),
        memory_mb: function.memory_mb,
    })
}

async fn bind(port: u16, what: &str) -> Result<TcpListener> {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .with_context(|| {
            format!(
                "cannot listen on 127.0.0.1:{port} for {what}: the port is in use \
                 (is another `cargo xtask dev` running?)"
            )
        })
}

/// Where a function's AWS SDK reaches the stand-ins.
pub struct Reach<'a> {
    /// moto serves every service but DynamoDB: S3, SQS, Secrets Manager, SES.
    pub moto: &'a str,
    pub dynamodb: &'a str,
}

impl<'a> Reach<'a> {
    /// The stand-ins themselves.
    pub fn of(stand_ins: &'a StandIns) -> Self {
        Self {
            moto: &stand_ins.moto_url,
            dynamodb: &stand_ins.dynamodb_url,
        }
    }
}

/// What points a function's AWS SDK at the stand-ins instead of AWS.
fn stand_in_environment(reach: &Reach<'_>) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", reach.moto),
        ("AWS_ENDPOINT_URL_DYNAMODB", reach.dynamodb),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// `sam local`'s `--env-vars` file: `{"Parameters": {...}, "<LogicalId>": {...}}`. As with SAM,
/// only variables the template declares for a function are overridden.
#[derive(Debug, Default)]
pub struct EnvOverrides {
    all: BTreeMap<String, String>,
    per_function: BTreeMap<String, BTreeMap<String, String>>,
}

impl EnvOverrides {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        let Some(map) = value.as_object() else {
            bail!("expected a JSON object of objects");
        };
        let mut overrides = Self::default();
        for (key, vars) in map {
            let Some(vars) = vars.as_object() else {
                bail!("`{key}` must be an object of variables");
            };
            let vars: BTreeMap<String, String> = vars
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect();
            if key == "Parameters" {
                overrides.all = vars;
            } else {
                overrides.per_function.insert(key.clone(), vars);
            }
        }
        Ok(overrides)
    }

    pub fn apply(
        &self,
        function: &str,
        declared: &BTreeMap<String, String>,
        logs: &Logs,
    ) -> Vec<(String, String)> {
        let mut environment = declared.clone();
        let specific = self.per_function.get(function);
        for (name, value) in self.all.iter().chain(specific.into_iter().flatten()) {
            if let Some(slot) = environment.get_mut(name) {
                slot.clone_from(value);
            } else if specific.is_some_and(|s| s.contains_key(name)) {
                logs.runner(&format!(
                    "{function}: --env-vars sets {name}, which the template does not declare; ignored"
                ));
            }
        }
        environment.into_iter().collect()
    }
}

/// Builds the binaries of the given templates' functions with cargo.
/// Builds the binaries of the templates' functions, with `env` on cargo's command.
pub async fn build_functions(
    root: &Path,
    templates: &[&Path],
    release: bool,
    env: &[(&'static str, String)],
) -> Result<()> {
    let mut binaries = Vec::new();
    for path in templates {
        let template = Template::load(path, &NameOptions::default())?;
        binaries.extend(template.functions.into_iter().map(|f| f.binary));
    }
    binaries.sort();
    binaries.dedup();
    build_binaries(root, &binaries, release, env).await
}

/// Builds the named binaries of the workspace.
pub async fn build_binaries(
    root: &Path,
    binaries: &[String],
    release: bool,
    env: &[(&'static str, String)],
) -> Result<()> {
    let mut command = Command::new(crate::tools::cargo_program());
    command.current_dir(root).arg("build").arg("--workspace");
    command.envs(env.iter().cloned());
    if release {
        command.arg("--release");
    }
    for binary in binaries {
        command.arg("--bin").arg(binary);
    }
    emit(&format!("· building {} functions", binaries.len()));
    let status = command.status().await.context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build failed ({status})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_declared_variables() {
        let overrides = EnvOverrides::parse(
            r#"{"Parameters": {"LOG": "debug", "NEW": "x"}, "Fn": {"TABLE": "other", "EXTRA": 1}}"#,
        )
        .unwrap_or_default();
        let declared = BTreeMap::from([
            ("LOG".to_owned(), "info".to_owned()),
            ("TABLE".to_owned(), "t".to_owned()),
        ]);
        let logs = Logs::new(None, false).unwrap_or_else(|e| panic!("{e}"));
        let env = overrides.apply("Fn", &declared, &logs);
        assert_eq!(
            env,
            vec![
                ("LOG".to_owned(), "debug".to_owned()),
                ("TABLE".to_owned(), "other".to_owned())
            ]
        );
        let other = overrides.apply("Other", &declared, &logs);
        assert_eq!(other[1], ("TABLE".to_owned(), "t".to_owned()));
    }

    #[test]
    fn a_malformed_overrides_file_is_an_error() {
        assert!(EnvOverrides::parse(r#"{"Fn": "not an object"}"#).is_err());
        assert!(EnvOverrides::parse("[1]").is_err());
    }
}
