//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing;

const SAMPLE: &str = include_str!("../../../../events/products-get/get.json");

#[tokio::test]
async fn an_id_that_cannot_be_one_is_a_404_without_a_read_and_others_reach_the_table() {
    // The sample reads the product and an unreachable table is a 503.
    assert_eq!(testing::call(SAMPLE, get).await.0, 503);
    // An id that cannot be one is a 404 without a read.
    let long = "0".repeat(2100);
    for bad in ["not-an-id", long.as_str()] {
        let event = testing::with_path_parameter(SAMPLE, "id", bad);
        assert_eq!(testing::call(&event, get).await.0, 404);
    }
}
