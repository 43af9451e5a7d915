//! Every function's sample events parse as the event type it is deployed with.

use super::*;

/// The folder of a function's sample events: `events/<crate folder name>/`.
pub fn events_dir(root: &Path, function: &Function) -> PathBuf {
    let name = function
        .code_uri
        .rsplit('/')
        .next()
        .unwrap_or(&function.code_uri);
    root.join("events").join(name)
}

pub(super) fn check_events(root: &Path, function: &Function) -> Vec<String> {
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
    let triggered_by = |kind: fn(&Event) -> bool| function.events.iter().any(kind);
    if triggered_by(|e| matches!(e, Event::S3 { .. })) {
        let from_s3 = |e: &S3Event| e.records.iter().map(|r| r.event_source.clone()).collect();
        match records_from(text, "S3", "aws:s3", from_s3) {
            Ok(()) => return Ok(()),
            Err(reason) => reasons.push(reason),
        }
    }
    if triggered_by(|e| matches!(e, Event::Sqs { .. })) {
        let from_sqs = |e: &aws_lambda_events::sqs::SqsEvent| {
            e.records.iter().map(|r| r.event_source.clone()).collect()
        };
        match records_from(text, "SQS", "aws:sqs", from_sqs) {
            Ok(()) => return Ok(()),
            Err(reason) => reasons.push(reason),
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

/// Whether `text` is a `T` event with records, every one from `source` (`aws:s3`); `sources`
/// reads each record's `eventSource`.
fn records_from<T: serde::de::DeserializeOwned>(
    text: &str,
    kind: &str,
    source: &str,
    sources: impl Fn(&T) -> Vec<Option<String>>,
) -> Result<(), String> {
    let event: T = serde_json::from_str(text).map_err(|e| format!("not an {kind} event: {e}"))?;
    let sources = sources(&event);
    if !sources.is_empty() && sources.iter().all(|s| s.as_deref() == Some(source)) {
        Ok(())
    } else {
        Err(format!("an {kind} event needs records from {source}"))
    }
}
