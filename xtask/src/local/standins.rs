//! The stand-ins on loopback: AWS's own DynamoDB Local, moto server for S3, SQS, SES and
//! Secrets Manager, and localstripe for Stripe. Started, waited for, and stopped with the stack.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The template parameter that holds Stripe's base URL: the stand-ins' localstripe locally.
pub const STRIPE_BASE_PARAMETER: &str = "StripeApiBase";

use anyhow::{Context as _, Result, bail};
use tokio::process::{Child, Command};

use crate::tools::StandInTools;

/// localstripe's own command listens on every interface and writes its whole state to
/// `/tmp/localstripe.pickle` on every change. Its app is served here instead on loopback only,
/// with that write turned off: nothing outside the project, nothing kept between runs.
const LOCALSTRIPE_ON_LOOPBACK: &str = "import sys\n\
from aiohttp import web\n\
from localstripe import resources, server\n\
resources.Store.dump_to_disk = lambda self: None\n\
web.run_app(server.app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n";

/// How long a stand-in may take to answer before the start is given up.
const START_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct StandInOptions {
    /// 0 for any free port.
    pub dynamodb_port: u16,
    pub moto_port: u16,
    pub stripe_port: u16,
    /// Where DynamoDB Local keeps its data; `None` keeps it in memory.
    pub data_dir: Option<PathBuf>,
    /// Where the stand-ins' own output goes.
    pub log_dir: PathBuf,
}

impl StandInOptions {
    /// Stand-ins on free ports with their data in memory: a run that leaves nothing behind.
    pub fn ephemeral(log_dir: PathBuf) -> Self {
        Self {
            dynamodb_port: 0,
            moto_port: 0,
            stripe_port: 0,
            data_dir: None,
            log_dir,
        }
    }
}

pub struct StandIns {
    pub dynamodb_url: String,
    pub moto_url: String,
    pub stripe_url: String,
    children: Vec<Child>,
}

impl StandIns {
    pub async fn start(options: &StandInOptions, tools: &StandInTools) -> Result<Self> {
        let dynamodb = &tools.dynamodb;
        std::fs::create_dir_all(&options.log_dir)?;
        let dynamodb_port = free_port(options.dynamodb_port, "DynamoDB Local")?;
        let moto_port = free_port(options.moto_port, "moto server")?;
        let stripe_port = free_port(options.stripe_port, "localstripe")?;

        let mut java = Command::new("java");
        java.arg(format!(
            "-Djava.library.path={}",
            dynamodb.library_dir.display()
        ))
        .arg("-jar")
        .arg(&dynamodb.jar)
        .arg("-sharedDb")
        .arg("-disableTelemetry")
        .args(["-port", &dynamodb_port.to_string()]);
        match &options.data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                java.arg("-dbPath").arg(dir);
            }
            None => {
                java.arg("-inMemory");
            }
        }
        let dynamodb_log = options.log_dir.join("dynamodb-local.log");
        let mut children = vec![spawn(&mut java, &dynamodb_log, "DynamoDB Local")?];

        let moto_log = options.log_dir.join("moto.log");
        let mut moto = Command::new(&tools.moto_server);
        moto.args(["-H", "127.0.0.1", "-p", &moto_port.to_string()]);
        children.push(spawn(&mut moto, &moto_log, "moto server")?);

        let stripe_log = options.log_dir.join("localstripe.log");
        let mut stripe = Command::new(&tools.localstripe_python);
        stripe
            .args(["-c", LOCALSTRIPE_ON_LOOPBACK])
            .arg(stripe_port.to_string());
        children.push(spawn(&mut stripe, &stripe_log, "localstripe")?);

        let stand_ins = Self {
            dynamodb_url: format!("http://127.0.0.1:{dynamodb_port}"),
            moto_url: format!("http://127.0.0.1:{moto_port}"),
            stripe_url: format!("http://127.0.0.1:{stripe_port}"),
            children,
        };
        let started = Instant::now();
        let mut stand_ins = stand_ins;
        stand_ins
            .wait_ready(0, &dynamodb_log, "DynamoDB Local", || async {
                let client = dynamodb_client(&format!("http://127.0.0.1:{dynamodb_port}")).await;
                client.list_tables().send().await.is_ok()
            })
            .await?;
        stand_ins
            .wait_ready(1, &moto_log, "moto server", || async {
                let client = s3_client(&format!("http://127.0.0.1:{moto_port}")).await;
                client.list_buckets().send().await.is_ok()
            })
            .await?;
        stand_ins
            .wait_ready(2, &stripe_log, "localstripe", || async {
                tokio::net::TcpStream::connect(("127.0.0.1", stripe_port))
                    .await
                    .is_ok()
            })
            .await?;
        crate::logs::emit(&format!(
            "· stand-ins up in {:.1} s: DynamoDB Local {}, moto {}, localstripe {}",
            started.elapsed().as_secs_f64(),
            stand_ins.dynamodb_url,
            stand_ins.moto_url,
            stand_ins.stripe_url
        ));
        Ok(stand_ins)
    }

    async fn wait_ready<F, Fut>(
        &mut self,
        index: usize,
        log: &Path,
        name: &str,
        probe: F,
    ) -> Result<()>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.children[index].try_wait() {
                bail!(
                    "{name} stopped at start ({status}); its output ({}):\n{}",
                    log.display(),
                    tail(log)
                );
            }
            if probe().await {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "{name} did not answer within {} s; its output ({}):\n{}",
                    START_TIMEOUT.as_secs(),
                    log.display(),
                    tail(log)
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn stop(mut self) {
        for child in &mut self.children {
            let _ = child.kill().await;
        }
    }
}

fn spawn(command: &mut Command, log: &Path, name: &str) -> Result<Child> {
    let out = std::fs::File::create(log)?;
    let err = out.try_clone()?;
    command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {name}"))
}

/// The port to use: the one asked for if it is free (else a clear error), or any free one.
pub fn free_port(port: u16, what: &str) -> Result<u16> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    match StdListener::bind(address) {
        Ok(listener) => Ok(listener.local_addr()?.port()),
        Err(err) => bail!(
            "port {port} for {what} is in use ({err}); is another `cargo xtask dev` running? \
             Stop it, or choose another port."
        ),
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

pub async fn dynamodb_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&shared::aws::local_config(endpoint).await)
}

pub async fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    shared::aws::local_s3(&shared::aws::local_config(endpoint).await)
}

pub async fn sqs_client(endpoint: &str) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&shared::aws::local_config(endpoint).await)
}

pub async fn secrets_client(endpoint: &str) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&shared::aws::local_config(endpoint).await)
}

pub async fn ses_client(endpoint: &str) -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(&shared::aws::local_config(endpoint).await)
}

#[cfg(test)]
mod tests {
    use super::free_port;

    #[test]
    fn a_port_in_use_is_named_in_a_clear_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = taken.local_addr().map(|a| a.port()).unwrap_or_default();
        let err = free_port(port, "moto server")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains(&format!("port {port} for moto server is in use")),
            "{err}"
        );
        assert!(free_port(0, "anything").is_ok_and(|p| p != 0));
    }
}
