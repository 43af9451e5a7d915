//! What production needs from the template that the linters accept either way: tracing, access logs, TLS-only buckets, alarms, safe deployments.

use super::*;

/// What running the shop in production needs from the template, which `sam validate` and
/// cfn-lint accept either way: functions traced, the API's access log, every bucket refusing
/// requests without TLS, and an alarm (writing to the alarm topic) on API errors, API latency,
/// throttles and every dead-letter queue.
pub(super) fn check_operations(root: &Path) -> Vec<String> {
    match std::fs::read_to_string(root.join("template.yaml")) {
        Ok(text) => operations_problems(&text),
        Err(err) => vec![format!("template.yaml cannot be read: {err}")],
    }
}

pub(super) fn operations_problems(text: &str) -> Vec<String> {
    use serde_norway::Value;
    let document: Value = match serde_norway::from_str(text) {
        Ok(document) => document,
        Err(err) => return vec![format!("template.yaml is not YAML: {err}")],
    };
    // `!Ref X` and `!GetAtt X.Attr` (either form) name X.
    let names = |value: &Value| -> Option<String> {
        let (function, argument) = crate::local::template::intrinsic_call(value)?;
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
