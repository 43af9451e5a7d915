//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing::assert_body_checked;

#[tokio::test]
async fn a_token_of_the_wrong_type_is_named_and_a_good_one_is_looked_up() {
    let sample = include_str!("../../../../events/auth-refresh/refresh.json");
    assert_body_checked(
        sample,
        refresh,
        r#"{"refresh_token": 7}"#,
        &["refresh_token"],
    )
    .await;
}
