//! Every DynamoDB access of accounts. Keys:
//!
//! | item | pk | sk |
//! |---|---|---|
//! | user | `USER#<id>` | `PROFILE` |
//! | email uniqueness | `EMAIL#<email>` | `EMAIL` |
//! | refresh token | `REFRESH#<sha256 of token>` | `REFRESH` |
//! | revoked login | `FAMILY#<family id>` | `REVOKED` |
//! | reset token | `RESET#<sha256 of token>` | `RESET` |
//!
//! Writes that two requests could race are conditional or transactional: a user and its email
//! item are written together, so two registrations of one email cannot both succeed; a refresh
//! token is rotated only if it was not rotated already and its login is not revoked; a reset
//! token is spent in the same transaction that changes the password.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, ReturnValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::model::{RefreshItem, ResetItem, UserItem};
use crate::auth::Role;
use crate::db::{
    Table, any_condition_failed, condition_failed_at, from_item, n, put_if, s, to_item,
};
use crate::error::{ApiError, ErrorCode};

pub fn user_pk(id: &str) -> String {
    format!("USER#{id}")
}
pub const USER_SK: &str = "PROFILE";
fn email_pk(email: &str) -> String {
    format!("EMAIL#{email}")
}
const EMAIL_SK: &str = "EMAIL";
pub fn refresh_pk(hash: &str) -> String {
    format!("REFRESH#{hash}")
}
pub const REFRESH_SK: &str = "REFRESH";
fn family_pk(family: &str) -> String {
    format!("FAMILY#{family}")
}
const REVOKED_SK: &str = "REVOKED";
pub fn reset_pk(hash: &str) -> String {
    format!("RESET#{hash}")
}
pub const RESET_SK: &str = "RESET";

#[derive(Serialize, Deserialize)]
struct EmailItem {
    pk: String,
    sk: String,
    user_id: String,
}

#[derive(Serialize)]
struct RevokedItem {
    pk: String,
    sk: String,
    ttl: i64,
}

/// Writes a new user and its email item together; `409 email_taken` if the email has a user.
pub async fn create_user(table: &Table, user: &UserItem) -> Result<(), ApiError> {
    let email = EmailItem {
        pk: email_pk(&user.email),
        sk: EMAIL_SK.to_owned(),
        user_id: user.id.clone(),
    };
    let result = table
        .client
        .transact_write_items()
        .transact_items(put_if(table, user, "attribute_not_exists(pk)")?)
        .transact_items(put_if(table, &email, "attribute_not_exists(pk)")?)
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(err) if condition_failed_at(&err, 1) => Err(ApiError::Conflict {
            code: ErrorCode::EmailTaken,
            detail: "An account with this email already exists.".to_owned(),
        }),
        Err(err) => Err(err.into()),
    }
}

pub async fn user_by_id(table: &Table, id: &str) -> Result<Option<UserItem>, ApiError> {
    table.get(&user_pk(id), USER_SK).await
}

pub async fn user_by_email(table: &Table, email: &str) -> Result<Option<UserItem>, ApiError> {
    let Some(link) = table.get::<EmailItem>(&email_pk(email), EMAIL_SK).await? else {
        return Ok(None);
    };
    user_by_id(table, &link.user_id).await
}

/// Updates some attributes of an existing user; `404` if there is none.
async fn update_user(
    table: &Table,
    id: &str,
    expression: &str,
    names: &[(&str, &str)],
    values: Vec<(&str, aws_sdk_dynamodb::types::AttributeValue)>,
) -> Result<UserItem, ApiError> {
    let mut request = table
        .client
        .update_item()
        .table_name(&table.name)
        .key("pk", s(user_pk(id)))
        .key("sk", s(USER_SK))
        .update_expression(expression)
        .condition_expression("attribute_exists(pk)")
        .return_values(ReturnValue::AllNew);
    for (placeholder, name) in names {
        request = request.expression_attribute_names(*placeholder, *name);
    }
    for (name, value) in values {
        request = request.expression_attribute_values(name, value);
    }
    match request.send().await {
        Ok(output) => from_item(output.attributes.unwrap_or_default()),
        Err(err)
            if matches!(
                err.as_service_error(),
                Some(UpdateItemError::ConditionalCheckFailedException(_))
            ) =>
        {
            Err(ApiError::NotFound)
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn set_name(table: &Table, id: &str, name: &str, now: i64) -> Result<UserItem, ApiError> {
    update_user(
        table,
        id,
        "SET #name = :name, updated_at = :now",
        &[("#name", "name")],
        vec![(":name", s(name)), (":now", n(now))],
    )
    .await
}

/// A new password hash; with `revoke_before_ms`, every refresh token of a login begun before
/// that time (milliseconds) stops working.
pub async fn set_password(
    table: &Table,
    id: &str,
    hash: &str,
    revoke_before_ms: Option<i64>,
    now: i64,
) -> Result<UserItem, ApiError> {
    let mut values = vec![(":hash", s(hash)), (":now", n(now))];
    let expression = match revoke_before_ms {
        Some(ms) => {
            values.push((":revoke", n(ms)));
            "SET password_hash = :hash, updated_at = :now, tokens_valid_after = :revoke"
        }
        None => "SET password_hash = :hash, updated_at = :now",
    };
    update_user(table, id, expression, &[], values).await
}

pub async fn set_role(table: &Table, id: &str, role: Role, now: i64) -> Result<UserItem, ApiError> {
    update_user(
        table,
        id,
        "SET #role = :role, updated_at = :now",
        &[("#role", "role")],
        vec![(":role", s(role.as_str())), (":now", n(now))],
    )
    .await
}

pub async fn put_refresh(table: &Table, token: &RefreshItem) -> Result<(), ApiError> {
    table
        .client
        .put_item()
        .table_name(&table.name)
        .set_item(Some(to_item(token)?))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await?;
    Ok(())
}

pub async fn refresh_by_hash(table: &Table, hash: &str) -> Result<Option<RefreshItem>, ApiError> {
    table.get(&refresh_pk(hash), REFRESH_SK).await
}

pub async fn family_revoked(table: &Table, family: &str) -> Result<bool, ApiError> {
    Ok(table
        .get::<serde_json::Value>(&family_pk(family), REVOKED_SK)
        .await?
        .is_some())
}

/// Ends a login: every refresh token of the family stops working.
pub async fn revoke_family(table: &Table, family: &str, until: i64) -> Result<(), ApiError> {
    let item = RevokedItem {
        pk: family_pk(family),
        sk: REVOKED_SK.to_owned(),
        ttl: until,
    };
    table
        .client
        .put_item()
        .table_name(&table.name)
        .set_item(Some(to_item(&item)?))
        .send()
        .await?;
    Ok(())
}

/// How a rotation ended.
pub enum Rotation {
    Rotated,
    /// The old token was already rotated, its login revoked, or the user's tokens revoked.
    Refused,
}

/// Exchanges `old` for `new` in one transaction: only if `old` was never rotated, its login is
/// not revoked, and the user has not revoked their tokens since the login began.
pub async fn rotate_refresh(
    table: &Table,
    old: &RefreshItem,
    new: &RefreshItem,
    now: i64,
) -> Result<Rotation, ApiError> {
    let spend = Update::builder()
        .table_name(&table.name)
        .key("pk", s(&old.pk))
        .key("sk", s(REFRESH_SK))
        .update_expression("SET rotated_at = :now")
        .condition_expression("attribute_exists(pk) AND attribute_not_exists(rotated_at)")
        .expression_attribute_values(":now", n(now))
        .build()
        .map_err(ApiError::internal)?;
    let family_alive = ConditionCheck::builder()
        .table_name(&table.name)
        .key("pk", s(family_pk(&old.family)))
        .key("sk", s(REVOKED_SK))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(ApiError::internal)?;
    let user_current = ConditionCheck::builder()
        .table_name(&table.name)
        .key("pk", s(user_pk(&old.user_id)))
        .key("sk", s(USER_SK))
        .condition_expression("attribute_exists(pk) AND tokens_valid_after <= :started")
        .expression_attribute_values(":started", n(old.family_started))
        .build()
        .map_err(ApiError::internal)?;
    let result = table
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(spend).build())
        .transact_items(put_if(table, new, "attribute_not_exists(pk)")?)
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(family_alive)
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(user_current)
                .build(),
        )
        .send()
        .await;
    match result {
        Ok(_) => Ok(Rotation::Rotated),
        Err(err) if any_condition_failed(&err) => Ok(Rotation::Refused),
        Err(err) => Err(err.into()),
    }
}

pub async fn put_reset(table: &Table, reset: &ResetItem) -> Result<(), ApiError> {
    table
        .client
        .put_item()
        .table_name(&table.name)
        .set_item(Some(to_item(reset)?))
        .send()
        .await?;
    Ok(())
}

pub async fn reset_by_hash(table: &Table, hash: &str) -> Result<Option<ResetItem>, ApiError> {
    table.get(&reset_pk(hash), RESET_SK).await
}

/// Spends a reset token and sets the new password in one transaction, revoking every refresh
/// token of the user (logins begun before `now_ms`). `false` if the token was spent or expired
/// meanwhile.
pub async fn spend_reset(
    table: &Table,
    reset: &ResetItem,
    password_hash: &str,
    now: i64,
    now_ms: i64,
) -> Result<bool, ApiError> {
    let spend = Delete::builder()
        .table_name(&table.name)
        .key("pk", s(&reset.pk))
        .key("sk", s(RESET_SK))
        .condition_expression("attribute_exists(pk) AND expires_at > :now")
        .expression_attribute_values(":now", n(now))
        .build()
        .map_err(ApiError::internal)?;
    let set_password = Update::builder()
        .table_name(&table.name)
        .key("pk", s(user_pk(&reset.user_id)))
        .key("sk", s(USER_SK))
        .update_expression(
            "SET password_hash = :hash, updated_at = :now, tokens_valid_after = :revoke",
        )
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":hash", s(password_hash))
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":revoke", n(now_ms))
        .build()
        .map_err(ApiError::internal)?;
    let result = table
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().delete(spend).build())
        .transact_items(TransactWriteItem::builder().update(set_password).build())
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(err) if any_condition_failed(&err) => Ok(false),
        Err(err) => Err(err.into()),
    }
}
