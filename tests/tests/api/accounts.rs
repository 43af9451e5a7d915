//! Accounts and authentication, as a shop's front end meets them.

pub use crate::helpers::futures_join_all;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use http::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{
    Reply, api, assert_problem, authorized, env, error_fields, function_logs, get_as, login,
    newcomer, post_as, register, request_log,
};

pub const PASSWORD: &str = "correct horse battery";

/// An email no other test uses.
pub fn unique_email(tag: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{tag}-{}-{nanos}-{}@example.com",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A registered account and its first login.
pub async fn account(tag: &str) -> (String, Value) {
    let email = unique_email(tag);
    assert_eq!(register(&email, PASSWORD).await.status, 201);
    let reply = login(&email, PASSWORD).await;
    reply.assert_status(200);
    (email, reply.json())
}

pub async fn refresh(token: &str) -> Reply {
    api()
        .post_json("/auth/refresh", &json!({"refresh_token": token}))
        .await
}

pub fn s(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn register_login_me_refresh_logout_in_the_shapes_of_the_contract() {
    let email = unique_email("Flow");
    let created = register(&format!("  {email} "), PASSWORD).await;
    assert_eq!(created.status, 201);
    let user = &created.json()["user"];
    assert_eq!(user["email"], email.to_lowercase());
    assert_eq!(user["role"], "customer");
    assert_eq!(user["name"], "Shopper");
    assert!(user["id"].is_string() && user["created_at"].as_str().unwrap().ends_with('Z'));
    let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["created_at", "email", "id", "name", "role"]);

    let pair = login(&email, PASSWORD).await;
    assert_eq!(pair.status, 200);
    assert_eq!(pair.header("cache-control"), Some("no-store"));
    let pair = pair.json();
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    assert_eq!(pair["user"]["id"], user["id"]);

    let me = get_as(&s(&pair["access_token"]), "/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["user"], *user);

    let next = refresh(&s(&pair["refresh_token"])).await;
    assert_eq!(next.status, 200);
    let next = next.json();
    assert_ne!(next["refresh_token"], pair["refresh_token"]);
    let me = get_as(&s(&next["access_token"]), "/me").await;
    assert_eq!(me.status, 200);

    let out = post_as(
        &s(&next["access_token"]),
        "/auth/logout",
        json!({"refresh_token": next["refresh_token"]}),
    )
    .await;
    assert_eq!(out.status, 204);
    assert_eq!(refresh(&s(&next["refresh_token"])).await.status, 401);
}

#[tokio::test]
async fn a_second_account_for_an_email_in_any_case_is_email_taken() {
    let email = unique_email("dup");
    assert_eq!(register(&email, PASSWORD).await.status, 201);
    for again in [email.clone(), email.to_uppercase(), format!(" {email}\t")] {
        assert_problem(&register(&again, PASSWORD).await, 409, "email_taken");
    }
}

#[tokio::test]
async fn ten_concurrent_registrations_of_one_email_create_exactly_one_account() {
    let email = unique_email("race");
    let attempts = (0..10).map(|_| {
        let email = email.clone();
        async move { register(&email, PASSWORD).await }
    });
    let replies = futures_join_all(attempts).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let taken = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!(
        (created, taken),
        (1, 9),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(login(&email, PASSWORD).await.status, 200);
}

#[tokio::test]
async fn registration_names_every_field_that_is_wrong() {
    let reply = api()
        .post_json(
            "/auth/register",
            &json!({"email": "not-an-email", "password": "short", "name": "   "}),
        )
        .await;
    let problem = assert_problem(&reply, 400, "validation_failed");
    let fields = error_fields(&problem);
    assert_eq!(fields, ["email", "password", "name"]);

    let same_as_email = api()
        .post_json(
            "/auth/register",
            &json!({"email": "Pat@Example.com", "password": "pat@example.com", "name": "Pat"}),
        )
        .await;
    let problem = assert_problem(&same_as_email, 400, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "password");

    let unknown_field = api()
        .post_json(
            "/auth/register",
            &json!({"email": "a@b.co", "password": PASSWORD, "name": "A", "role": "admin"}),
        )
        .await;
    assert_problem(&unknown_field, 400, "validation_failed");
}

/// The signing key, read from the local Secrets Manager as anyone holding it could.
async fn signing_key() -> (String, Vec<u8>) {
    let client = aws_sdk_secretsmanager::Client::new(&crate::helpers::moto_config().await);
    let secret = client
        .get_secret_value()
        .secret_id(env("STOREFRONT_SECRET"))
        .send()
        .await
        .unwrap();
    let json: Value = serde_json::from_str(secret.secret_string().unwrap()).unwrap();
    (s(&json["kid"]), s(&json["key"]).into_bytes())
}

fn jwt(header: &Value, claims: &Value, key: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(format!("{header}.{claims}").as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{header}.{claims}.{signature}")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[tokio::test]
async fn tokens_that_are_not_valid_access_tokens_are_refused_with_401() {
    let (_, pair) = account("tokens").await;
    let sub = s(&pair["user"]["id"]);
    let (kid, key) = signing_key().await;
    let claims = |iss: &str, aud: &str, iat: i64, exp: i64| json!({"iss": iss, "aud": aud, "sub": sub, "role": "admin", "iat": iat, "exp": exp});
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": kid});
    let good = claims("storefront", "storefront-api", now(), now() + 900);
    // The real key makes a valid token: the refusals below are for what each one changes.
    assert_eq!(get_as(&jwt(&header, &good, &key), "/me").await.status, 200);

    let access = s(&pair["access_token"]);
    let none_header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
    let none_claims = URL_SAFE_NO_PAD.encode(good.to_string());
    let cases = [
        (
            "expired",
            jwt(
                &header,
                &claims("storefront", "storefront-api", now() - 2000, now() - 1000),
                &key,
            ),
        ),
        ("alg none", format!("{none_header}.{none_claims}.")),
        (
            "another key",
            jwt(&header, &good, b"an entirely different key of 32+ bytes"),
        ),
        (
            "wrong audience",
            jwt(
                &header,
                &claims("storefront", "another-api", now(), now() + 900),
                &key,
            ),
        ),
        (
            "wrong issuer",
            jwt(
                &header,
                &claims("evil", "storefront-api", now(), now() + 900),
                &key,
            ),
        ),
        (
            "HS512 header",
            jwt(&json!({"alg": "HS512", "kid": kid}), &good, &key),
        ),
        ("refresh token", s(&pair["refresh_token"])),
        ("truncated", access[..access.len() - 4].to_owned()),
        ("garbage", "garbage.garbage.garbage".to_owned()),
    ];
    for (what, token) in cases {
        let reply = get_as(&token, "/me").await;
        assert_problem(&reply, 401, "unauthorized");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{what}");
    }
    let no_header = api().get("/me").await;
    assert_problem(&no_header, 401, "unauthorized");
    let basic = api()
        .send(Method::GET, "/me", &[("authorization", "Basic YTpi")], "")
        .await;
    assert_problem(&basic, 401, "unauthorized");
}

#[tokio::test]
async fn a_used_refresh_token_is_refused_and_its_reuse_revokes_the_whole_login() {
    let (email, first) = account("rotate").await;
    let second = refresh(&s(&first["refresh_token"])).await;
    assert_eq!(second.status, 200);
    let second = second.json();
    // The old token again: refused, and the login it belongs to ends.
    assert_problem(
        &refresh(&s(&first["refresh_token"])).await,
        401,
        "unauthorized",
    );
    assert_problem(
        &refresh(&s(&second["refresh_token"])).await,
        401,
        "unauthorized",
    );
    // Another login of the same user is not touched.
    let other = login(&email, PASSWORD).await.json();
    assert_eq!(refresh(&s(&other["refresh_token"])).await.status, 200);
}

#[tokio::test]
async fn a_customer_on_an_admin_route_gets_403_and_an_admin_can_promote() {
    let (customer_email, customer) = account("promote").await;
    let user_id = s(&customer["user"]["id"]);
    let path = format!("/admin/users/{user_id}/role");
    let forbidden = post_as(
        &s(&customer["access_token"]),
        &path,
        json!({"role": "admin"}),
    )
    .await;
    assert_problem(&forbidden, 403, "forbidden");

    let admin = login(
        &env("STOREFRONT_ADMIN_EMAIL"),
        &env("STOREFRONT_ADMIN_PASSWORD"),
    )
    .await;
    assert_eq!(admin.status, 200);
    let admin_token = s(&admin.json()["access_token"]);
    let promoted = post_as(&admin_token, &path, json!({"role": "admin"})).await;
    assert_eq!(promoted.status, 200);
    assert_eq!(promoted.json()["user"]["role"], "admin");
    // The new role is in the next token.
    let again = login(&customer_email, PASSWORD).await.json();
    assert_eq!(again["user"]["role"], "admin");

    let unknown = post_as(
        &admin_token,
        "/admin/users/01NOSUCHUSER0000000000000/role",
        json!({"role": "admin"}),
    )
    .await;
    assert_problem(&unknown, 404, "not_found");
    let bad_role = post_as(&admin_token, &path, json!({"role": "owner"})).await;
    assert_problem(&bad_role, 400, "validation_failed");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let (email, _) = account("same401").await;
    let wrong = login(&email, "not the password at all").await;
    let unknown = login(&unique_email("nobody"), PASSWORD).await;
    assert_problem(&wrong, 401, "invalid_credentials");
    assert_problem(&unknown, 401, "invalid_credentials");
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn five_failed_logins_lock_the_account_until_the_window_passes() {
    // The test stack's window is 5 s (LoginLockoutWindowSeconds); on AWS it is 15 min.
    let (email, _) = account("lockout").await;
    for _ in 0..5 {
        assert_problem(
            &login(&email, "a wrong password!").await,
            401,
            "invalid_credentials",
        );
    }
    let locked = login(&email, PASSWORD).await;
    assert_problem(&locked, 429, "rate_limited");
    let wait: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=5).contains(&wait), "Retry-After {wait}");
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(300)).await;
    assert_eq!(login(&email, PASSWORD).await.status, 200);
}

/// The reset tokens of every email sent to `to` so far, oldest first, from the local SES.
pub async fn emailed_tokens(to: &str) -> Vec<String> {
    let client = crate::helpers::Client::new(env("MOTO_URL"));
    let data = client.get("/moto-api/data.json").await.json();
    let messages = data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    messages
        .iter()
        .filter(|m| m["destinations"]["ToAddresses"][0] == to)
        .filter_map(|m| token_in(m["body"].as_str()?))
        .collect()
}

/// Waits (the mail function sends off the request path) until `count` emails reached `to`.
pub async fn wait_for_tokens(to: &str, count: usize) -> Vec<String> {
    let tokens = async || emailed_tokens(to).await;
    crate::helpers::poll(Duration::from_secs(20), tokens, |t| t.len() >= count).await
}

/// The newest reset token emailed to `to`.
async fn emailed_token(to: &str) -> Option<String> {
    wait_for_tokens(to, 1).await.pop()
}

fn token_in(body: &str) -> Option<String> {
    let start = body.find("token=")? + "token=".len();
    let token: String = body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    Some(token)
}

#[tokio::test]
async fn a_password_reset_works_once_and_ends_every_login() {
    let (email, before) = account("reset").await;
    let nobody = unique_email("nobody");
    for who in [&email, &nobody] {
        let reply = api()
            .post_json("/auth/password-reset", &json!({"email": who}))
            .await;
        assert_eq!(reply.status, 202);
    }
    let token = emailed_token(&email).await.expect("no reset email");
    assert_eq!(
        emailed_tokens(&nobody).await,
        Vec::<String>::new(),
        "mail sent to an unknown address"
    );
    assert_eq!(token.len(), 43, "256 bits, base64url");

    let new_password = "a brand new password";
    let confirm = json!({"token": token, "password": new_password});
    let done = api()
        .post_json("/auth/password-reset/confirm", &confirm)
        .await;
    assert_eq!(done.status, 204, "{}", String::from_utf8_lossy(&done.body));
    let again = api()
        .post_json("/auth/password-reset/confirm", &confirm)
        .await;
    assert_problem(&again, 400, "validation_failed");
    let made_up = api()
        .post_json(
            "/auth/password-reset/confirm",
            &json!({"token": "made-up", "password": new_password}),
        )
        .await;
    assert_problem(&made_up, 400, "validation_failed");

    assert_problem(&login(&email, PASSWORD).await, 401, "invalid_credentials");
    assert_eq!(login(&email, new_password).await.status, 200);
    assert_problem(
        &refresh(&s(&before["refresh_token"])).await,
        401,
        "unauthorized",
    );
}

#[tokio::test]
async fn patch_me_renames_and_a_password_change_needs_the_current_one_and_ends_logins() {
    let (email, pair) = account("patchme").await;
    let token = s(&pair["access_token"]);
    let renamed = authorized(
        Method::PATCH,
        "/me",
        &token,
        Some(json!({"name": "  Ada  "})),
        &[],
    )
    .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(renamed.json()["user"]["name"], "Ada");

    let without_current = authorized(
        Method::PATCH,
        "/me",
        &token,
        Some(json!({"password": "another long password"})),
        &[],
    )
    .await;
    let problem = assert_problem(&without_current, 400, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "current_password");
    let wrong_current = authorized(
        Method::PATCH,
        "/me",
        &token,
        Some(json!({"password": "another long password", "current_password": "not it at all"})),
        &[],
    )
    .await;
    assert_problem(&wrong_current, 400, "validation_failed");

    let changed = authorized(
        Method::PATCH,
        "/me",
        &token,
        Some(json!({"password": "another long password", "current_password": PASSWORD})),
        &[],
    )
    .await;
    assert_eq!(changed.status, 200);
    assert_problem(
        &refresh(&s(&pair["refresh_token"])).await,
        401,
        "unauthorized",
    );
    assert_eq!(login(&email, "another long password").await.status, 200);
}

#[tokio::test]
async fn no_response_or_log_line_carries_a_password_hash_token_key_or_email() {
    let (email, pair) = account("secrets").await;
    let access = s(&pair["access_token"]);
    let refresh_token = s(&pair["refresh_token"]);
    let next = refresh(&refresh_token).await;
    let me = get_as(&access, "/me").await;
    let _ = login(&email, "a wrong password!").await;
    let _ = api()
        .post_json("/auth/password-reset", &json!({"email": email}))
        .await;
    let reset_token = emailed_token(&email).await.unwrap_or_default();
    let (_, key) = signing_key().await;
    let key = String::from_utf8(key).unwrap();

    for reply in [&next, &me] {
        let body = String::from_utf8_lossy(&reply.body);
        assert!(
            !body.contains(PASSWORD) && !body.contains("$argon2"),
            "{body}"
        );
    }
    assert!(!String::from_utf8_lossy(&me.body).contains(&refresh_token));

    // Once the last request's lines are in the log file, no line of any function has a secret.
    let me_id = me.header("x-request-id").unwrap_or_default();
    assert!(
        !request_log(me_id).await.is_empty(),
        "the log file has the functions' lines"
    );
    let logs = function_logs();
    for (what, secret) in [
        ("password", PASSWORD),
        ("hash", "$argon2id$"),
        ("access token", access.as_str()),
        ("refresh token", refresh_token.as_str()),
        ("reset token", reset_token.as_str()),
        ("signing key", key.as_str()),
        ("email", email.as_str()),
    ] {
        assert!(!secret.is_empty(), "{what} is empty");
        assert!(!logs.contains(secret), "a log line contains the {what}");
    }
}

#[tokio::test]
async fn a_refresh_replayed_with_its_key_hands_out_no_token_pair_and_revokes_nothing() {
    let (_, first) = account("replay").await;
    let body = json!({"refresh_token": first["refresh_token"]}).to_string();
    let headers = [
        ("content-type", "application/json"),
        ("idempotency-key", "refresh-1"),
    ];
    let rotated = api()
        .send(Method::POST, "/auth/refresh", &headers, body.clone())
        .await;
    let pair = rotated.expect(200);
    let replayed = api()
        .send(Method::POST, "/auth/refresh", &headers, body.clone())
        .await;
    let problem = assert_problem(&replayed, 409, "conflict");
    let text = String::from_utf8_lossy(&replayed.body).into_owned();
    assert!(
        !text.contains(pair["refresh_token"].as_str().unwrap())
            && !text.contains(pair["access_token"].as_str().unwrap()),
        "{problem}"
    );
    // The pair the first answer gave still works: the replay revoked nothing.
    refresh(&s(&pair["refresh_token"])).await.assert_status(200);
}

#[tokio::test]
async fn an_anonymous_key_is_scoped_by_network_so_nobody_elsewhere_can_squat_it() {
    let (email, _) = account("squat").await;
    let body = json!({"email": email, "password": PASSWORD}).to_string();
    let headers = [
        ("content-type", "application/json"),
        ("idempotency-key", "login-1"),
    ];
    // Someone elsewhere uses the predictable key first, with a wrong password.
    let squatter = newcomer()
        .send(
            Method::POST,
            "/auth/login",
            &headers,
            json!({"email": email, "password": "not the password"}).to_string(),
        )
        .await;
    assert_problem(&squatter, 401, "invalid_credentials");
    // The owner's own request with that key is theirs: a fresh answer, not the squatter's.
    let owner = api()
        .send(Method::POST, "/auth/login", &headers, body)
        .await;
    owner.assert_status(200);
    assert_eq!(owner.header("idempotent-replayed"), None);
}
