//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing;

const SAMPLE: &str = include_str!("../../../../events/image-process/object-created.json");

#[tokio::test]
async fn uploads_are_read_from_their_prefix_only_and_an_unreachable_table_fails_them() {
    // The sample is an upload the pipeline reads and an unreachable table fails it.
    let state = testing::state().await;
    let err = handle(&state, testing::event(SAMPLE)).await.unwrap_err();
    assert!(err.to_string().contains("unavailable"), "{err}");
    // A key outside the upload prefix is ignored without a read.
    let elsewhere = testing::event(&SAMPLE.replace("incoming", "elsewhere"));
    assert!(handle(&testing::state().await, elsewhere).await.is_ok());
}
