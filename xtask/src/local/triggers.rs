//! The triggers that are not HTTP: S3 `ObjectCreated` notifications and EventBridge schedules.
//!
//! S3: moto sends a bucket's notifications to an SQS queue (it cannot run a Lambda without
//! Docker), so the runner makes one queue per S3 event of the template, configures the bucket
//! as the event says (event types, prefix and suffix filters), polls the queue, completes the
//! records (moto leaves out fields that real S3 sends and that `aws_lambda_events` requires)
//! and invokes the function asynchronously.
//!
//! Schedules: moto never fires rules, so the runner computes each `rate()`/`cron()` and invokes
//! the function with a scheduled event at those times.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use aws_sdk_s3::types::{
    Event as S3EventType, FilterRule, FilterRuleName, NotificationConfiguration,
    NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
};
use bytes::Bytes;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::task::JoinHandle;

use crate::local::invoke::invoke_async;
use crate::local::lambda::Pool;
use crate::local::schedule::Schedule;
use crate::local::template::{ACCOUNT_ID, Event, REGION, Template};
use crate::logs::Logs;

/// A queue that receives one S3 event's notifications for one function.
#[derive(Debug, Clone)]
pub struct S3Wiring {
    pub function: String,
    pub bucket: String,
    pub queue_url: String,
}

/// Creates the queues and the buckets' notification configurations for every S3 event.
pub async fn wire_s3(
    template: &Template,
    s3: &aws_sdk_s3::Client,
    sqs: &aws_sdk_sqs::Client,
    suffix: &str,
) -> Result<Vec<S3Wiring>> {
    let mut wirings = Vec::new();
    let mut per_bucket: BTreeMap<String, Vec<QueueConfiguration>> = BTreeMap::new();
    for (function, event) in template.events() {
        let Event::S3 {
            name,
            bucket,
            events,
            filter,
        } = event
        else {
            continue;
        };
        let bucket = template.bucket(bucket).with_context(|| {
            format!(
                "{}: the S3 event {name} names an unknown bucket {bucket}",
                function.logical_id
            )
        })?;
        let queue_name = queue_name(&function.logical_id, name, suffix);
        let queue_url = sqs
            .create_queue()
            .queue_name(&queue_name)
            .send()
            .await
            .with_context(|| format!("cannot create the queue {queue_name}"))?
            .queue_url
            .unwrap_or_default();
        let queue_arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue_name}");
        let rules = filter
            .iter()
            .map(|(kind, value)| {
                FilterRule::builder()
                    .name(FilterRuleName::from(kind.as_str()))
                    .value(value)
                    .build()
            })
            .collect::<Vec<_>>();
        let mut config = QueueConfiguration::builder()
            .id(format!("{}-{name}", function.logical_id))
            .queue_arn(queue_arn)
            .set_events(Some(
                events
                    .iter()
                    .map(|e| S3EventType::from(e.as_str()))
                    .collect(),
            ));
        if !rules.is_empty() {
            config = config.filter(
                NotificationConfigurationFilter::builder()
                    .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
                    .build(),
            );
        }
        per_bucket.entry(bucket.name.clone()).or_default().push(
            config
                .build()
                .context("an incomplete queue configuration")?,
        );
        wirings.push(S3Wiring {
            function: function.logical_id.clone(),
            bucket: bucket.name.clone(),
            queue_url,
        });
    }
    // A bucket has one notification configuration: every event on it goes in at once.
    for (bucket, configs) in per_bucket {
        s3.put_bucket_notification_configuration()
            .bucket(&bucket)
            .notification_configuration(
                NotificationConfiguration::builder()
                    .set_queue_configurations(Some(configs))
                    .build(),
            )
            .send()
            .await
            .with_context(|| format!("cannot configure the notifications of {bucket}"))?;
    }
    Ok(wirings)
}

fn queue_name(function: &str, event: &str, suffix: &str) -> String {
    let name: String = format!("s3-{function}-{event}{suffix}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name.chars().take(80).collect()
}

/// Polls the queue of every `SQS` event source and invokes its function with batches of
/// messages, as Lambda's poller does: synchronously; a message is deleted once its batch
/// succeeded, unless the function named it among its `batchItemFailures`; the others become
/// visible again after the queue's visibility timeout, and the queue's redrive policy moves a
/// message received too often to its dead-letter queue.
pub fn poll_sqs(
    template: &Template,
    sqs: aws_sdk_sqs::Client,
    pools: &BTreeMap<String, Arc<Pool>>,
    logs: &Logs,
) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    for (function, event) in template.events() {
        let Event::Sqs {
            queue,
            batch_size,
            report_failures,
            ..
        } = event
        else {
            continue;
        };
        let (Some(pool), Some(queue)) = (
            pools.get(&function.logical_id).cloned(),
            template
                .queues
                .iter()
                .find(|q| &q.logical_id == queue)
                .cloned(),
        ) else {
            logs.runner(&format!(
                "{}: its SQS event names no queue of the template; not polled",
                function.logical_id
            ));
            continue;
        };
        let (sqs, logs) = (sqs.clone(), logs.clone());
        let (batch_size, report_failures) = (*batch_size, *report_failures);
        tasks.push(tokio::spawn(async move {
            loop {
                poll_queue_once(&queue, batch_size, report_failures, &sqs, &pool, &logs).await;
            }
        }));
    }
    tasks
}

async fn poll_queue_once(
    queue: &crate::local::template::Queue,
    batch_size: u32,
    report_failures: bool,
    sqs: &aws_sdk_sqs::Client,
    pool: &Pool,
    logs: &Logs,
) {
    let received = sqs
        .receive_message()
        .queue_url(&queue.url)
        .max_number_of_messages(i32::try_from(batch_size.clamp(1, 10)).unwrap_or(10))
        .wait_time_seconds(1)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await;
    let messages = match received {
        Ok(output) => output.messages.unwrap_or_default(),
        Err(err) => {
            logs.runner(&format!(
                "SQS {}: cannot read: {}",
                queue.name,
                aws_sdk_sqs::error::DisplayErrorContext(&err)
            ));
            tokio::time::sleep(Duration::from_secs(1)).await;
            return;
        }
    };
    if messages.is_empty() {
        return;
    }
    let arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{}", queue.name);
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: BTreeMap<String, String> = m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": REGION,
            })
        })
        .collect();
    let event = json!({ "Records": records }).to_string();
    let request_id = ulid::Ulid::new().to_string();
    let invoked = pool.invoke(Bytes::from(event), &request_id).await;
    let failed: Vec<String> = match &invoked.outcome {
        crate::local::lambda::Outcome::Response(body) if report_failures => {
            serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v["batchItemFailures"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                .collect()
        }
        crate::local::lambda::Outcome::Response(_) => Vec::new(),
        // The whole batch failed: every message returns to the queue.
        _ => messages
            .iter()
            .filter_map(|m| m.message_id().map(str::to_owned))
            .collect(),
    };
    crate::logs::emit(&format!(
        "SQS {} → {} {} of {} in {:.1} ms{}",
        queue.name,
        pool.logical_id(),
        if failed.is_empty() { "ok" } else { "failed" },
        messages.len(),
        invoked.duration.as_secs_f64() * 1000.0,
        if invoked.cold { " · cold" } else { " · warm" },
    ));
    for message in &messages {
        let id = message.message_id().unwrap_or_default();
        if failed.iter().any(|f| f == id) {
            continue;
        }
        if let Some(handle) = message.receipt_handle() {
            let _ = sqs
                .delete_message()
                .queue_url(&queue.url)
                .receipt_handle(handle)
                .send()
                .await;
        }
    }
}

/// Polls each queue and invokes its function with every `ObjectCreated` record.
pub fn poll_s3(
    wirings: Vec<S3Wiring>,
    sqs: aws_sdk_sqs::Client,
    pools: &BTreeMap<String, Arc<Pool>>,
    logs: &Logs,
) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    for wiring in wirings {
        let Some(pool) = pools.get(&wiring.function).cloned() else {
            continue;
        };
        let sqs = sqs.clone();
        let logs = logs.clone();
        tasks.push(tokio::spawn(async move {
            poll_queue(wiring, sqs, pool, logs).await;
        }));
    }
    tasks
}

async fn poll_queue(wiring: S3Wiring, sqs: aws_sdk_sqs::Client, pool: Arc<Pool>, logs: Logs) {
    let mut reported = false;
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&wiring.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await;
        let messages = match received {
            Ok(output) => {
                reported = false;
                output.messages.unwrap_or_default()
            }
            Err(err) => {
                if !reported {
                    logs.runner(&format!(
                        "S3 trigger of {}: cannot read its queue: {}",
                        wiring.function,
                        aws_sdk_sqs::error::DisplayErrorContext(&err)
                    ));
                    reported = true;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if messages.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for message in messages {
            let body = message.body.as_deref().unwrap_or("{}");
            match serde_json::from_str::<Value>(body) {
                Ok(event) if event.get("Records").is_some() => {
                    let event = complete_s3_event(event);
                    let pool = Arc::clone(&pool);
                    let logs = logs.clone();
                    // The bucket and the first record's key, as the runner's lines name them.
                    let key = event["Records"][0]["s3"]["object"]["key"].as_str();
                    let key = key.and_then(shared::aws::decode_s3_key).unwrap_or_default();
                    let source = format!("s3://{}/{key}", wiring.bucket);
                    tokio::spawn(async move {
                        let payload = Bytes::from(event.to_string());
                        invoke_async(&pool, &logs, payload, &source).await;
                    });
                }
                // `s3:TestEvent`, sent when a configuration is written: S3 sends it to Lambda
                // as well only through SQS, so it is not passed on.
                _ => {}
            }
            if let Some(handle) = message.receipt_handle {
                let _ = sqs
                    .delete_message()
                    .queue_url(&wiring.queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await;
            }
        }
    }
}

/// Fills in the fields of an S3 event record that moto leaves out and real S3 always sends.
pub fn complete_s3_event(mut event: Value) -> Value {
    let Some(records) = event.get_mut("Records").and_then(Value::as_array_mut) else {
        return event;
    };
    for record in records {
        let Some(record) = record.as_object_mut() else {
            continue;
        };
        let request_id = ulid::Ulid::new().to_string();
        record
            .entry("userIdentity")
            .or_insert_with(|| json!({"principalId": "AWS:LOCALRUNNER"}));
        record
            .entry("requestParameters")
            .or_insert_with(|| json!({"sourceIPAddress": "127.0.0.1"}));
        record.entry("responseElements").or_insert_with(
            || json!({"x-amz-request-id": &request_id[..16], "x-amz-id-2": request_id}),
        );
        if let Some(s3) = record.get_mut("s3").and_then(Value::as_object_mut) {
            if let Some(bucket) = s3.get_mut("bucket").and_then(Value::as_object_mut) {
                bucket
                    .entry("ownerIdentity")
                    .or_insert_with(|| json!({"principalId": "LOCALRUNNER"}));
            }
            if let Some(object) = s3.get_mut("object").and_then(Value::as_object_mut) {
                // A sequencer orders events of one key; a ULID's time-ordered hex does too.
                let sequencer = format!("{:032X}", u128::from(ulid::Ulid::new()));
                object
                    .entry("sequencer")
                    .or_insert_with(|| json!(sequencer));
            }
        }
    }
    event
}

/// Starts a timer per enabled schedule of the template.
pub fn start_schedules(
    template: &Template,
    stack_name: &str,
    pools: &BTreeMap<String, Arc<Pool>>,
    logs: &Logs,
) -> Result<Vec<JoinHandle<()>>> {
    let mut tasks = Vec::new();
    for (function, event) in template.events() {
        let Event::Schedule {
            name,
            expression,
            enabled,
            input,
        } = event
        else {
            continue;
        };
        let schedule = Schedule::parse(expression)
            .with_context(|| format!("{}: the schedule {name}", function.logical_id))?;
        if !enabled {
            continue;
        }
        let Some(pool) = pools.get(&function.logical_id).cloned() else {
            continue;
        };
        let rule = format!("{stack_name}-{}{name}", function.logical_id);
        let input = input.clone();
        let logs = logs.clone();
        tasks.push(tokio::spawn(async move {
            run_schedule(schedule, rule, input, pool, logs).await;
        }));
    }
    Ok(tasks)
}

async fn run_schedule(
    schedule: Schedule,
    rule: String,
    input: Option<String>,
    pool: Arc<Pool>,
    logs: Logs,
) {
    let started = OffsetDateTime::now_utc();
    let mut after = started;
    while let Some(at) = schedule.next_after(after, started) {
        let wait = at - OffsetDateTime::now_utc();
        if wait.is_positive() {
            tokio::time::sleep(wait.unsigned_abs()).await;
        }
        let payload = match &input {
            Some(text) => Bytes::from(scheduler_input(text, &rule, at)),
            None => Bytes::from(scheduled_event(&rule, at).to_string()),
        };
        let pool = Arc::clone(&pool);
        let logs = logs.clone();
        let source = format!("schedule {rule}");
        // A slow run does not delay the next one, as on EventBridge.
        tokio::spawn(async move {
            invoke_async(&pool, &logs, payload, &source).await;
        });
        after = at;
    }
}

/// The event EventBridge delivers for a scheduled rule.
/// A schedule's `Input` with EventBridge Scheduler's context attributes filled in, as the
/// service does before it invokes the target.
pub fn scheduler_input(input: &str, schedule: &str, at: OffsetDateTime) -> String {
    let time = at.format(&Rfc3339).unwrap_or_default();
    input
        .replace("<aws.scheduler.scheduled-time>", &time)
        .replace(
            "<aws.scheduler.schedule-arn>",
            &format!("arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{schedule}"),
        )
        .replace(
            "<aws.scheduler.execution-id>",
            &ulid::Ulid::new().to_string().to_ascii_lowercase(),
        )
        .replace("<aws.scheduler.attempt-number>", "1")
}

pub fn scheduled_event(rule: &str, at: OffsetDateTime) -> Value {
    let id = format!("{:032x}", u128::from(ulid::Ulid::new()));
    json!({
        "version": "0",
        "id": format!("{}-{}-{}-{}-{}", &id[..8], &id[8..12], &id[12..16], &id[16..20], &id[20..]),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": at.format(&Rfc3339).unwrap_or_default(),
        "region": REGION,
        "resources": [format!("arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule}")],
        "detail": {}
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::eventbridge::EventBridgeEvent;
    use aws_lambda_events::s3::S3Event;

    /// A record exactly as moto 5 puts it on the queue.
    const MOTO_RECORD: &str = r#"{"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventTime": "2026-11-21T05:22:24.684Z", "eventName": "ObjectCreated:Put", "s3": {"s3SchemaVersion": "1.0", "configurationId": "w2Buz", "bucket": {"name": "bucket-one", "arn": "arn:aws:s3:::bucket-one"}, "object": {"key": "incoming%2Fmy+file.txt", "size": 2, "eTag": "49f68a5c8493ec2c0bf489821c21fc3b"}}}]}"#;

    #[test]
    fn a_moto_record_is_refused_as_it_is_and_accepted_once_completed() {
        let raw: Value = serde_json::from_str(MOTO_RECORD).unwrap_or_default();
        assert!(serde_json::from_value::<S3Event>(raw.clone()).is_err());
        let completed = complete_s3_event(raw);
        let event: S3Event = serde_json::from_value(completed).unwrap_or_else(|e| panic!("{e}"));
        let record = &event.records[0];
        assert_eq!(
            record.s3.object.key.as_deref(),
            Some("incoming%2Fmy+file.txt")
        );
        assert!(record.s3.object.sequencer.is_some());
        assert_eq!(record.event_name.as_deref(), Some("ObjectCreated:Put"));
    }

    #[test]
    fn a_scheduled_event_parses_as_eventbridge_sends_it() {
        let at = time::macros::datetime!(2026-11-22 02:00 UTC);
        let value = scheduled_event("storefront-dev-ReportDaily", at);
        let event: EventBridgeEvent =
            serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(event.detail_type, "Scheduled Event");
        assert_eq!(
            event.time.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-22T02:00:00+00:00")
        );
    }

    #[test]
    fn queue_names_are_valid_for_sqs() {
        let name = queue_name("ImageFunction", "Upload.v2", "-abc");
        assert_eq!(name, "s3-ImageFunction-Upload-v2-abc");
    }
}
