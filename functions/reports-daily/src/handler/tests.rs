//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing;

const SAMPLE: &str = include_str!("../../../../events/reports-daily/scheduled.json");

#[tokio::test]
async fn a_run_needs_an_rfc_3339_time_and_an_unreachable_table_fails_it() {
    // The sample run reads the orders and an unreachable table fails the run.
    let state = testing::state().await;
    assert!(report(&state, testing::event(SAMPLE)).await.is_err());
    // A time that is not rfc 3339 is refused.
    let event = testing::event(r#"{"time": "02:00"}"#);
    let err = report(&testing::state().await, event).await.err();
    let message = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("RFC 3339"), "{message}");
}
