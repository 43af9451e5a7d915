//! Offline checks of the template: what `sam validate` cannot know about this project (every
//! function has its crate, its binary and sample events that parse as its event type; the
//! route table in `shared` is the template's), then `sam validate --lint`, and cfn-lint over the
//! template as SAM's own translator expands it (cfn-lint alone does not look inside SAM
//! resources).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::s3::S3Event;
use tokio::process::Command;

use crate::logs::emit;
use crate::template::{Event, Function, NameOptions, Template};
use crate::tools::{Tools, run};

/// Checks the template against the workspace and `events/`; returns what is wrong.
pub fn check_project(root: &Path) -> Result<()> {
    let template = Template::load(&root.join("template.yaml"), &NameOptions::default())?;
    let metadata = cargo_metadata(root)?;
    let mut problems = Vec::new();

    for function in &template.functions {
        let crate_dir = root.join(&function.code_uri);
        match binaries_of(&metadata, &crate_dir) {
            None => problems.push(format!(
                "{}: CodeUri {} is not a crate of the workspace",
                function.logical_id, function.code_uri
            )),
            Some(bins) if !bins.contains(&function.binary) => problems.push(format!(
                "{}: the crate {} has no binary `{}` (it has {bins:?})",
                function.logical_id, function.code_uri, function.binary
            )),
            Some(_) => {}
        }
        problems.extend(check_events(root, function));
    }
    problems.extend(crate::bench::subjects::cover(&template).err());

    let declared: BTreeSet<(String, String)> = template
        .routes()
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let table: BTreeSet<(String, String)> = shared::routes::ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    for missing in declared.difference(&table) {
        problems.push(format!(
            "the route {} {} is in the template but not in shared::routes::ROUTES",
            missing.0, missing.1
        ));
    }
    for extra in table.difference(&declared) {
        problems.push(format!(
            "the route {} {} is in shared::routes::ROUTES but not in the template",
            extra.0, extra.1
        ));
    }

    problems.extend(check_openapi(root, &table));
    problems.extend(check_operations(root));
    if !problems.is_empty() {
        bail!(
            "the template and the project disagree:\n  - {}",
            problems.join("\n  - ")
        );
    }
    emit(&format!(
        "· template: {} functions, each with its crate, binary and events; {} routes match shared::routes and openapi.yaml",
        template.functions.len(),
        declared.len()
    ));
    Ok(())
}

/// What running the shop in production needs from the template, which `sam validate` and
/// cfn-lint accept either way: functions traced, the API's access log, every bucket refusing
/// requests without TLS, and an alarm (writing to the alarm topic) on API errors, API latency,
/// throttles and every dead-letter queue.
fn check_operations(root: &Path) -> Vec<String> {
    match std::fs::read_to_string(root.join("template.yaml")) {
        Ok(text) => operations_problems(&text),
        Err(err) => vec![format!("template.yaml cannot be read: {err}")],
    }
}

fn operations_problems(text: &str) -> Vec<String> {
    use serde_norway::Value;
    let document: Value = match serde_norway::from_str(text) {
        Ok(document) => document,
        Err(err) => return vec![format!("template.yaml is not YAML: {err}")],
    };
    // `!Ref X` and `!GetAtt X.Attr` (either form) name X.
    let names = |value: &Value| -> Option<String> {
        let (function, argument) = crate::template::intrinsic_call(value)?;
        let text = argument.as_str()?;
        match function.as_str() {
            "Ref" => Some(text.to_owned()),
            "GetAtt" => text.split('.').next().map(str::to_owned),
            _ => None,
        }
    };
    let resources: Vec<(&str, &Value)> = document["Resources"]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(id, resource)| Some((id.as_str()?, resource)))
        .collect();
    let of_type = |kind: &'static str| {
        resources
            .iter()
            .filter(move |(_, r)| r["Type"].as_str() == Some(kind))
            .copied()
    };
    let mut problems = Vec::new();
    if document["Globals"]["Function"]["Tracing"].as_str() != Some("Active") {
        problems
            .push("Globals.Function.Tracing is not Active: the functions are not traced".into());
    }
    for (id, api) in of_type("AWS::Serverless::HttpApi") {
        if api["Properties"]["AccessLogSettings"]["DestinationArn"].is_null() {
            problems.push(format!("{id} has no access log"));
        }
    }
    for (bucket, _) in of_type("AWS::S3::Bucket") {
        let tls_only = of_type("AWS::S3::BucketPolicy").any(|(_, policy)| {
            let properties = &policy["Properties"];
            names(&properties["Bucket"]).as_deref() == Some(bucket)
                && properties["PolicyDocument"]["Statement"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .any(|statement| {
                        statement["Effect"].as_str() == Some("Deny")
                            && statement["Condition"]["Bool"]["aws:SecureTransport"].as_str()
                                == Some("false")
                    })
        });
        if !tls_only {
            problems.push(format!(
                "the bucket {bucket} has no policy denying requests without TLS"
            ));
        }
    }
    let deployment = &document["Globals"]["Function"]["DeploymentPreference"];
    let rollback_alarms: Vec<String> = deployment["Alarms"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(names)
        .collect();
    if document["Globals"]["Function"]["AutoPublishAlias"].is_null()
        || deployment["Type"].is_null()
        || rollback_alarms.is_empty()
    {
        problems.push(
            "Globals.Function has no AutoPublishAlias with a DeploymentPreference and its \
             Alarms: a deployment reaches every request at once and is not rolled back"
                .into(),
        );
    }
    let alarms: Vec<(&str, &Value)> = of_type("AWS::CloudWatch::Alarm").collect();
    let topics: Vec<&str> = of_type("AWS::SNS::Topic").map(|(id, _)| id).collect();
    for (id, alarm) in &alarms {
        let notifies = alarm["Properties"]["AlarmActions"]
            .as_sequence()
            .into_iter()
            .flatten()
            .any(|action| names(action).is_some_and(|t| topics.contains(&t.as_str())));
        // An alarm that rolls deployments back is CodeDeploy's to watch.
        if !notifies && !rollback_alarms.iter().any(|a| a == id) {
            problems.push(format!(
                "the alarm {id} notifies no topic of the template and rolls nothing back"
            ));
        }
    }
    // The metrics an alarm watches, as `namespace/name` with the resource its dimension names.
    let watched: Vec<(String, Option<String>)> = alarms
        .iter()
        .flat_map(|(_, alarm)| {
            let properties = &alarm["Properties"];
            let mut metrics = vec![properties];
            for query in properties["Metrics"].as_sequence().into_iter().flatten() {
                metrics.push(&query["MetricStat"]["Metric"]);
            }
            metrics.into_iter().filter_map(|metric| {
                let name = format!(
                    "{}/{}",
                    metric["Namespace"].as_str()?,
                    metric["MetricName"].as_str()?
                );
                let subject = metric["Dimensions"]
                    .as_sequence()
                    .and_then(|d| d.first())
                    .and_then(|d| names(&d["Value"]));
                Some((name, subject))
            })
        })
        .collect();
    let watches = |metric: &str| watched.iter().any(|(name, _)| name == metric);
    for metric in [
        "AWS/ApiGateway/5xx",
        "AWS/ApiGateway/Latency",
        "AWS/Lambda/Throttles",
    ] {
        if !watches(metric) {
            problems.push(format!("no alarm watches {metric}"));
        }
    }
    for (queue, _) in of_type("AWS::SQS::Queue").filter(|(id, _)| id.contains("DeadLetter")) {
        let watched_queue = watched.iter().any(|(name, subject)| {
            name == "AWS/SQS/ApproximateNumberOfMessagesVisible"
                && subject.as_deref() == Some(queue)
        });
        if !watched_queue {
            problems.push(format!("no alarm watches the dead-letter queue {queue}"));
        }
    }
    problems
}

/// The operations of `openapi.yaml` must be the routes: a client generated from it then calls
/// exactly what is deployed.
fn check_openapi(root: &Path, routes: &BTreeSet<(String, String)>) -> Vec<String> {
    let path = root.join("openapi.yaml");
    let document: serde_norway::Value = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_norway::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(document) => document,
        Err(err) => return vec![format!("openapi.yaml cannot be read: {err}")],
    };
    let mut operations = BTreeSet::new();
    let paths = document
        .get("paths")
        .and_then(serde_norway::Value::as_mapping);
    for (path, item) in paths.into_iter().flatten() {
        let path = path.as_str().unwrap_or_default();
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.insert((method.to_ascii_uppercase(), path.to_owned()));
            }
        }
    }
    let mut problems = Vec::new();
    for missing in routes.difference(&operations) {
        problems.push(format!(
            "the route {} {} is not in openapi.yaml",
            missing.0, missing.1
        ));
    }
    for extra in operations.difference(routes) {
        problems.push(format!(
            "openapi.yaml has {} {}, which is no route",
            extra.0, extra.1
        ));
    }
    problems
}

/// The folder of a function's sample events: `events/<crate folder name>/`.
pub fn events_dir(root: &Path, function: &Function) -> PathBuf {
    let name = function
        .code_uri
        .rsplit('/')
        .next()
        .unwrap_or(&function.code_uri);
    root.join("events").join(name)
}

fn check_events(root: &Path, function: &Function) -> Vec<String> {
    let dir = events_dir(root, function);
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    if files.is_empty() {
        return vec![format!(
            "{}: no sample event in {}",
            function.logical_id,
            dir.display()
        )];
    }
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if let Err(reason) = event_fits(function, &text) {
            problems.push(format!(
                "{}: {} is not one of its events: {reason}",
                function.logical_id,
                file.display()
            ));
        }
    }
    problems
}

/// Whether a sample event is one the function can receive from one of its triggers.
pub fn event_fits(function: &Function, text: &str) -> Result<(), String> {
    let mut reasons = Vec::new();
    let route_keys: Vec<String> = function
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Http {
                method: Some(m),
                path: Some(p),
                ..
            } => Some(format!("{} {p}", m.to_ascii_uppercase())),
            Event::Http { .. } => Some("$default".to_owned()),
            _ => None,
        })
        .collect();
    if !route_keys.is_empty() {
        match serde_json::from_str::<ApiGatewayV2httpRequest>(text) {
            Ok(event) if event.version.as_deref() != Some("2.0") => {
                reasons.push("an HTTP API event must have version 2.0".to_owned());
            }
            Ok(event) => {
                let key = event.route_key.unwrap_or_default();
                if route_keys.contains(&key) {
                    return Ok(());
                }
                reasons.push(format!("routeKey `{key}` is not one of {route_keys:?}"));
            }
            Err(err) => reasons.push(format!("not an HTTP API v2 event: {err}")),
        }
    }
    if function
        .events
        .iter()
        .any(|e| matches!(e, Event::S3 { .. }))
    {
        match serde_json::from_str::<S3Event>(text) {
            Ok(event)
                if !event.records.is_empty()
                    && event
                        .records
                        .iter()
                        .all(|r| r.event_source.as_deref() == Some("aws:s3")) =>
            {
                return Ok(());
            }
            Ok(_) => reasons.push("an S3 event needs records from aws:s3".to_owned()),
            Err(err) => reasons.push(format!("not an S3 event: {err}")),
        }
    }
    if function
        .events
        .iter()
        .any(|e| matches!(e, Event::Sqs { .. }))
    {
        match serde_json::from_str::<aws_lambda_events::sqs::SqsEvent>(text) {
            Ok(event)
                if !event.records.is_empty()
                    && event
                        .records
                        .iter()
                        .all(|r| r.event_source.as_deref() == Some("aws:sqs")) =>
            {
                return Ok(());
            }
            Ok(_) => reasons.push("an SQS event needs records from aws:sqs".to_owned()),
            Err(err) => reasons.push(format!("not an SQS event: {err}")),
        }
    }
    let inputs: Vec<&str> = function
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Schedule {
                input: Some(input), ..
            } => Some(input.as_str()),
            _ => None,
        })
        .collect();
    for input in &inputs {
        // A schedule with an `Input` delivers that JSON (placeholders filled in): the sample
        // must have its fields.
        let keys = |text: &str| {
            serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()))
        };
        match (keys(input), keys(text)) {
            (Some(expected), Some(found)) if expected == found => return Ok(()),
            _ => reasons.push(format!(
                "the schedule delivers {input}; the sample has other fields"
            )),
        }
    }
    if inputs.is_empty()
        && function
            .events
            .iter()
            .any(|e| matches!(e, Event::Schedule { .. }))
    {
        match serde_json::from_str::<EventBridgeEvent>(text) {
            Ok(event) if event.detail_type == "Scheduled Event" => return Ok(()),
            Ok(_) => reasons.push("a scheduled event has detail-type `Scheduled Event`".to_owned()),
            Err(err) => reasons.push(format!("not a scheduled event: {err}")),
        }
    }
    if reasons.is_empty() {
        reasons.push("the function has no trigger".to_owned());
    }
    Err(reasons.join("; "))
}

fn cargo_metadata(root: &Path) -> Result<serde_json::Value> {
    let output =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root)
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .output()
            .context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// The target directory cargo builds into.
pub fn target_dir(root: &Path) -> Result<PathBuf> {
    let metadata = cargo_metadata(root)?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata gave no target_directory")
}

/// The binary targets of the workspace package whose manifest is in `dir`.
fn binaries_of(metadata: &serde_json::Value, dir: &Path) -> Option<Vec<String>> {
    let manifest = dir.join("Cargo.toml");
    let manifest = manifest.canonicalize().ok()?;
    let package = metadata["packages"]
        .as_array()?
        .iter()
        .find(|p| p["manifest_path"].as_str().map(PathBuf::from).as_deref() == Some(&manifest))?;
    Some(
        package["targets"]
            .as_array()?
            .iter()
            .filter(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"))
            })
            .filter_map(|t| t["name"].as_str().map(str::to_owned))
            .collect(),
    )
}

/// SAM's translator expands the template as CloudFormation will receive it. Local `CodeUri`s
/// become placeholders (nothing is uploaded) and no managed policy is looked up (no network),
/// which is all the translator needs to run offline.
const EXPAND: &str = r#"
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self):
        return {}

with open(sys.argv[1]) as source:
    template = yaml_parse(source.read())
for resource in template.get("Resources", {}).values():
    properties = resource.get("Properties", {})
    if resource.get("Type") == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
        properties["CodeUri"] = "s3://placeholder-bucket/code.zip"
with open(sys.argv[2], "w") as out:
    json.dump(transform(template, {}, NoManagedPolicies()), out, indent=1)
"#;

/// Whether `cargo xtask` itself is built with the features the workspace's build uses for
/// every crate the two share. Where they differ, a fresh clone compiles those crates, and
/// everything above them (the AWS SDK), twice: once to run xtask, once for the tests.
pub async fn features_unified(root: &Path) -> Result<()> {
    let features = |selection: &'static [&'static str]| async move {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = Command::new(cargo)
            .current_dir(root)
            .arg("tree")
            .args(selection)
            .args(["-e", "features,normal,build,dev", "--prefix", "none"])
            .args(["-f", "{p}|{f}"])
            .output()
            .await
            .context("cannot run cargo tree")?;
        if !output.status.success() {
            bail!(
                "cargo tree failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(package_features(&String::from_utf8_lossy(&output.stdout)))
    };
    let xtask = features(&["-p", "xtask"]).await?;
    let workspace = features(&["--workspace"]).await?;
    let differing: Vec<String> = xtask
        .iter()
        .filter_map(|(package, ours)| {
            let theirs = workspace.get(package)?;
            (ours != theirs).then(|| format!("{package}: xtask [{ours}], workspace [{theirs}]"))
        })
        .collect();
    if !differing.is_empty() {
        bail!(
            "xtask builds these crates with other features than the workspace, so a fresh run \
             compiles them twice; pin the workspace's features in xtask/Cargo.toml:\n  {}",
            differing.join("\n  ")
        );
    }
    emit(&format!(
        "· one feature set: xtask's {} dependencies are built as the workspace builds them",
        xtask.len()
    ));
    Ok(())
}

/// `package version` → its features, from `cargo tree -f "{p}|{f}"` lines; the workspace's own
/// crates (those with a path) are left out.
fn package_features(tree: &str) -> std::collections::BTreeMap<String, String> {
    tree.lines()
        .filter(|line| !line.contains("feature \"") && !line.contains(" (/"))
        .filter_map(|line| {
            let (package, features) = line.split_once('|')?;
            let package = package
                .trim_end_matches(" (*)")
                .trim_end_matches(" (proc-macro)");
            let features = features.trim_end_matches(" (*)").trim();
            Some((package.trim().to_owned(), features.to_owned()))
        })
        .collect()
}

/// `sam validate --lint`, then cfn-lint over the expanded template.
pub async fn lint_template(root: &Path, tools: &Tools) -> Result<()> {
    let bin = tools.sam_bin();
    let template = root.join("template.yaml");
    run(
        Command::new(bin.join("sam"))
            .args(["validate", "--lint", "--template"])
            .arg(&template)
            .env("AWS_DEFAULT_REGION", crate::template::REGION)
            .env("SAM_CLI_TELEMETRY", "0"),
        "sam validate --lint",
    )
    .await?;
    let expanded = tools.local.join("template.expanded.json");
    run(
        Command::new(bin.join("python"))
            .arg("-c")
            .arg(EXPAND)
            .arg(&template)
            .arg(&expanded)
            .env("AWS_DEFAULT_REGION", crate::template::REGION),
        "SAM's translator (expanding template.yaml)",
    )
    .await?;
    run(
        Command::new(bin.join("cfn-lint"))
            .arg("--")
            .arg(&expanded)
            .env("AWS_DEFAULT_REGION", crate::template::REGION),
        "cfn-lint over the expanded template",
    )
    .await?;
    emit("· template: sam validate --lint and cfn-lint (expanded) pass");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(events: Vec<Event>) -> Function {
        Function {
            logical_id: "F".into(),
            code_uri: "functions/f".into(),
            binary: "f".into(),
            timeout_secs: 3,
            memory_mb: 128,
            environment: Default::default(),
            log_format: None,
            log_level: None,
            events,
        }
    }

    #[test]
    fn an_http_event_must_name_one_of_the_functions_routes() {
        let f = function(vec![Event::Http {
            name: "Get".into(),
            method: Some("get".into()),
            path: Some("/health".into()),
        }]);
        let good = r#"{"version":"2.0","routeKey":"GET /health","rawPath":"/health","requestContext":{"http":{"method":"GET"}}}"#;
        assert_eq!(event_fits(&f, good), Ok(()));
        let wrong = good.replace("GET /health", "POST /health");
        assert!(event_fits(&f, &wrong).is_err());
        let v1 = good.replace("2.0", "1.0");
        assert!(event_fits(&f, &v1).is_err());
    }

    #[test]
    fn a_scheduled_function_takes_a_scheduled_event_only() {
        let f = function(vec![Event::Schedule {
            name: "Nightly".into(),
            expression: "cron(0 2 * * ? *)".into(),
            enabled: true,
            input: None,
        }]);
        let event = crate::triggers::scheduled_event("r", time::OffsetDateTime::UNIX_EPOCH);
        assert_eq!(event_fits(&f, &event.to_string()), Ok(()));
        assert!(event_fits(&f, r#"{"Records": []}"#).is_err());
    }

    #[test]
    fn the_operations_check_names_what_production_would_miss() {
        let bare = r#"
Globals:
  Function: { Runtime: provided.al2023 }
Resources:
  Api: { Type: AWS::Serverless::HttpApi, Properties: {} }
  Files: { Type: AWS::S3::Bucket }
  JobsDeadLetterQueue: { Type: AWS::SQS::Queue }
  Topic: { Type: AWS::SNS::Topic }
  Lonely:
    Type: AWS::CloudWatch::Alarm
    Properties: { Namespace: AWS/Lambda, MetricName: Throttles }
"#;
        let problems = operations_problems(bare);
        for expected in [
            "Globals.Function.Tracing is not Active: the functions are not traced",
            "Api has no access log",
            "the bucket Files has no policy denying requests without TLS",
            "the alarm Lonely notifies no topic of the template and rolls nothing back",
            "Globals.Function has no AutoPublishAlias with a DeploymentPreference and its \
             Alarms: a deployment reaches every request at once and is not rolled back",
            "no alarm watches AWS/ApiGateway/5xx",
            "no alarm watches AWS/ApiGateway/Latency",
            "no alarm watches the dead-letter queue JobsDeadLetterQueue",
        ] {
            assert!(
                problems.iter().any(|p| p == expected),
                "{expected}: {problems:?}"
            );
        }
        assert!(
            !problems.iter().any(|p| p.contains("Throttles")),
            "{problems:?}"
        );

        let template = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml"),
        )
        .unwrap_or_default();
        assert_eq!(operations_problems(&template), Vec::<String>::new());
    }
}
