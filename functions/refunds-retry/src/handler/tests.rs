//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing;

const SAMPLE: &str = include_str!("../../../../events/refunds-retry/scheduled.json");

#[tokio::test]
async fn a_run_needs_a_scheduled_time_and_time_left_before_it_reads_the_index() {
    // The sample run reads the index and an unreachable table fails the run.
    let state = testing::state().await;
    assert!(retry(&state, testing::event(SAMPLE)).await.is_err());
    // A run without time left stops before reading anything.
    let mut event = testing::event(SAMPLE);
    event.context.deadline = 0;
    let done = retry(&testing::state().await, event).await.unwrap();
    assert!(done.stopped_early);
    assert_eq!(done.succeeded + done.failed + done.still_due, 0);
    // A time that is not rfc 3339 is refused.
    let event = testing::event(r#"{"time": "yesterday"}"#);
    assert!(retry(&testing::state().await, event).await.is_err());
}
