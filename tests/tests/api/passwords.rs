//! Passwords: the lockout under parallel guesses, reset links that end with a reset or a
//! password change, and reset requests that answer alike for every email.

use http::Method;
use serde_json::json;

use crate::accounts::{PASSWORD, account, futures_join_all, s, unique_email, wait_for_tokens};
use crate::helpers::{api, assert_problem, authorized, login, newcomer, request_log};
use crate::payments::{emails, wait_for_emails};

#[tokio::test]
async fn forty_parallel_wrong_passwords_check_at_most_five_and_then_the_right_one_waits() {
    let (email, _) = account("burst").await;
    let attempts = (0..40).map(|_| {
        let email = email.clone();
        async move { login(&email, "not the password, guessing").await }
    });
    let replies = futures_join_all(attempts).await;
    let checked = replies.iter().filter(|r| r.status == 401).count();
    let refused = replies.iter().filter(|r| r.status == 429).count();
    assert!(checked <= 5, "{checked} guesses were checked");
    assert_eq!(checked + refused, 40, "every attempt is a 401 or a 429");
    assert_problem(&login(&email, PASSWORD).await, 429, "rate_limited");
}

#[tokio::test]
async fn a_confirmed_reset_or_a_password_change_spends_every_other_reset_link() {
    let (email, pair) = account("links").await;
    for _ in 0..2 {
        let reply = api()
            .post_json("/auth/password-reset", &json!({"email": email}))
            .await;
        assert_eq!(reply.status, 202);
    }
    let tokens = wait_for_tokens(&email, 2).await;
    assert_eq!(tokens.len(), 2, "two reset emails");
    let confirm = |token: &str, password: &str| {
        let body = json!({"token": token, "password": password});
        async move { api().post_json("/auth/password-reset/confirm", &body).await }
    };
    assert_eq!(
        confirm(&tokens[0], "the first new password").await.status,
        204
    );
    assert_problem(
        &confirm(&tokens[1], "the second new password").await,
        400,
        "validation_failed",
    );
    assert_eq!(login(&email, "the first new password").await.status, 200);

    // A link still out when the password is changed through PATCH /me is spent too.
    let reply = api()
        .post_json("/auth/password-reset", &json!({"email": email}))
        .await;
    assert_eq!(reply.status, 202);
    let tokens = wait_for_tokens(&email, 3).await;
    let fresh = login(&email, "the first new password").await.json();
    let changed = authorized(
        Method::PATCH,
        "/me",
        &s(&fresh["access_token"]),
        Some(
            json!({"password": "a third password!", "current_password": "the first new password"}),
        ),
        &[],
    )
    .await;
    assert_eq!(changed.status, 200);
    assert_problem(
        &confirm(&tokens[2], "sneaking back in").await,
        400,
        "validation_failed",
    );
    let _ = pair;
}

#[tokio::test]
async fn a_reset_request_does_the_same_work_for_every_email_and_sends_nothing_itself() {
    let (email, _) = account("offpath").await;
    let mut requests = Vec::new();
    for who in [email.clone(), unique_email("ghost")] {
        let reply = api()
            .post_json("/auth/password-reset", &json!({"email": who}))
            .await;
        assert_eq!(reply.status, 202);
        assert!(reply.body.is_empty());
        requests.push(reply.header("x-request-id").unwrap_or_default().to_owned());
    }
    // The account's email arrives (read back from SES), sent by the mail function: each
    // request's own lines say it queued a job, the same for both, and never that it sent one.
    assert_eq!(wait_for_tokens(&email, 1).await.len(), 1);
    for request_id in &requests {
        let lines = request_log(request_id).await;
        assert!(
            lines.iter().any(|l| l.contains("password reset queued")),
            "{request_id} queues a job: {lines:?}"
        );
        assert!(
            !lines.iter().any(|l| l.contains("email sent")),
            "the request path sends no email: {lines:?}"
        );
    }
}

/// A login from the network of `client`.
async fn login_from(client: &crate::helpers::Client, email: &str, password: &str) -> u16 {
    let body = json!({"email": email, "password": password});
    client.post_json("/auth/login", &body).await.status
}

#[tokio::test]
async fn strangers_guesses_lock_only_their_networks_and_the_owner_is_told_at_the_twentieth() {
    let (email, _) = account("guessed").await;
    // Four strangers, each on a network of its own, five wrong guesses each: each is locked
    // out of the account after its fifth.
    for _ in 0..4 {
        let stranger = newcomer();
        for _ in 0..5 {
            assert_eq!(login_from(&stranger, &email, "a guess, wrong").await, 401);
        }
        assert_eq!(login_from(&stranger, &email, PASSWORD).await, 429);
    }
    // The owner, on their own network, is not.
    assert_eq!(login(&email, PASSWORD).await.status, 200);
    // Twenty failures from everywhere: the owner is emailed, once.
    let subject = "Someone is trying to sign in";
    assert_eq!(wait_for_emails(&email, subject, 1).await, 1);
    let stranger = newcomer();
    assert_eq!(login_from(&stranger, &email, "one more").await, 401);
    assert_eq!(emails(&email, subject).await, 1);
}

#[tokio::test]
async fn right_passwords_use_nothing_up_and_a_right_one_forgives_its_networks_typos() {
    let (email, _) = account("steady").await;
    let owner = std::sync::Arc::new(newcomer());
    // Thirty right passwords, three at a time: every one is let in.
    for _ in 0..10 {
        let round = futures_join_all((0..3).map(|_| {
            let (owner, email) = (owner.clone(), email.clone());
            let body = json!({"email": email, "password": PASSWORD});
            async move { owner.post_json("/auth/login", &body).await }
        }))
        .await;
        let statuses: Vec<u16> = round.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [200, 200, 200]);
    }
    // Four typos, then the right password: the typos are forgiven, five more are allowed.
    for _ in 0..4 {
        assert_eq!(login_from(&owner, &email, "a typo").await, 401);
    }
    assert_eq!(login_from(&owner, &email, PASSWORD).await, 200);
    for _ in 0..5 {
        assert_eq!(login_from(&owner, &email, "a typo").await, 401);
    }
    assert_eq!(login_from(&owner, &email, PASSWORD).await, 429);
}
