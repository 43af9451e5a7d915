//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing;

const SAMPLE: &str = include_str!("../../../../events/mail-send/password-reset.json");

#[tokio::test]
async fn a_job_that_cannot_be_done_now_goes_back_to_the_queue_alone() {
    let state = testing::state().await;
    let response = handle(&state, testing::event(SAMPLE)).await.unwrap();
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    // The reset job needs the table; the garbled one is dropped, not retried.
    assert_eq!(failed, ["a1b2c3d4-0000-4000-8000-000000000001"]);
}
