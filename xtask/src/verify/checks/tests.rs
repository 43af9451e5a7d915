//! The offline checks' tests.

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
    let event = crate::local::triggers::scheduled_event("r", time::OffsetDateTime::UNIX_EPOCH);
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
