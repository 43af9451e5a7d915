//! Every DynamoDB access of accounts (keys in [`super::keys`]).
//!
//! Writes that two requests could race are conditional or transactional: a user and its email
//! item are written together, so two registrations of one email cannot both succeed; a refresh
//! token is rotated only if it was not rotated already and its login is not revoked; a reset
//! token is spent in the same transaction that changes the password, and only if no credential
//! reset happened since it was made; a role changes in the same transaction as the set of
//! admins, which refuses to lose its last member.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::keys;
use super::model::{RefreshItem, ResetItem, UserItem};
use crate::auth::Role;
use crate::db::{
    Table, any_condition_failed, condition_failed_at, from_item, number, put_if, string,
    string_set, to_item, transaction_failed,
};
use crate::error::{ApiError, ErrorCode};

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

/// Writes a new user and its email item together (and, for an admin, adds it to the set of
/// admins); `409 email_taken` if the email has a user.
pub async fn create_user(table: &Table, user: &UserItem) -> Result<(), ApiError> {
    let email = EmailItem {
        pk: keys::email(&user.email),
        sk: keys::EMAIL_SK.to_owned(),
        user_id: user.id.clone(),
    };
    let mut transaction = table
        .client
        .transact_write_items()
        .transact_items(put_if(table, user, "attribute_not_exists(pk)")?)
        .transact_items(put_if(table, &email, "attribute_not_exists(pk)")?);
    if user.role == Role::Admin {
        transaction = transaction.transact_items(admins_update(table, &user.id, Role::Admin)?);
    }
    match transaction.send().await {
        Ok(_) => Ok(()),
        Err(err) if condition_failed_at(&err, 1) => Err(ApiError::Conflict {
            code: ErrorCode::EmailTaken,
            detail: "An account with this email already exists.".to_owned(),
        }),
        Err(err) => Err(transaction_failed(err)),
    }
}

pub async fn user_by_id(table: &Table, id: &str) -> Result<Option<UserItem>, ApiError> {
    table.get(&keys::user(id), keys::USER_SK).await
}

pub async fn user_by_email(table: &Table, email: &str) -> Result<Option<UserItem>, ApiError> {
    let Some(link) = table
        .get::<EmailItem>(&keys::email(email), keys::EMAIL_SK)
        .await?
    else {
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
    values: Vec<(&str, AttributeValue)>,
) -> Result<UserItem, ApiError> {
    let mut request = table
        .client
        .update_item()
        .table_name(&table.name)
        .key("pk", string(keys::user(id)))
        .key("sk", string(keys::USER_SK))
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
        vec![(":name", string(name)), (":now", number(now))],
    )
    .await
}

/// A new password hash; with `revoke_before_ms`, every credential issued before that time
/// (milliseconds) stops working.
pub async fn set_password(
    table: &Table,
    id: &str,
    hash: &str,
    revoke_before_ms: Option<i64>,
    now: i64,
) -> Result<UserItem, ApiError> {
    let mut values = vec![(":hash", string(hash)), (":now", number(now))];
    let expression = match revoke_before_ms {
        Some(ms) => {
            values.push((":revoke", number(ms)));
            "SET password_hash = :hash, updated_at = :now, tokens_valid_after = :revoke"
        }
        None => "SET password_hash = :hash, updated_at = :now",
    };
    update_user(table, id, expression, &[], values).await
}

/// The change to the set of admins that goes with a user taking `role`: an admin is added; a
/// demoted one is removed, only if at least one other admin remains.
fn admins_update(table: &Table, user_id: &str, role: Role) -> Result<TransactWriteItem, ApiError> {
    let update = table
        .update_of(keys::ADMINS_PK, keys::ADMINS_SK)
        .expression_attribute_values(":id", string_set(user_id));
    let update = match role {
        Role::Admin => update.update_expression("ADD ids :id"),
        Role::Customer | Role::Staff => update
            .update_expression("DELETE ids :id")
            .condition_expression("contains(ids, :member) AND size(ids) > :one")
            .expression_attribute_values(":member", string(user_id))
            .expression_attribute_values(":one", number(1)),
    };
    Ok(TransactWriteItem::builder()
        .update(update.build().map_err(ApiError::internal)?)
        .build())
}

/// How a role change ended.
pub enum RoleChange {
    Changed(Box<UserItem>),
    /// The user no longer had the role the change started from: read again and retry.
    Raced,
    /// Demoting this user would leave no admin.
    LastAdmin,
}

/// Gives `user` the role `role` (it has another), ending every credential it holds (its
/// logins, and its access tokens on admin routes) in the same transaction.
pub async fn change_role(
    table: &Table,
    user: &UserItem,
    role: Role,
    act: Option<crate::audit::Act<'_>>,
    now: i64,
    now_ms: i64,
) -> Result<RoleChange, ApiError> {
    let update = table
        .update_of(keys::user(&user.id), keys::USER_SK)
        .update_expression("SET #role = :role, updated_at = :now, tokens_valid_after = :revoke")
        .condition_expression("attribute_exists(pk) AND #role = :from")
        .expression_attribute_names("#role", "role")
        .expression_attribute_values(":role", string(role.as_str()))
        .expression_attribute_values(":from", string(user.role.as_str()))
        .expression_attribute_values(":now", number(now))
        .expression_attribute_values(":revoke", number(now_ms))
        .build()
        .map_err(ApiError::internal)?;
    let mut transaction = table
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(update).build());
    // The set of admins changes only when an admin is made or unmade.
    if role == Role::Admin || user.role == Role::Admin {
        transaction = transaction.transact_items(admins_update(table, &user.id, role)?);
    }
    if let Some(act) = act {
        let (before, after) = (
            serde_json::json!({"role": user.role}),
            serde_json::json!({"role": role}),
        );
        transaction = transaction.transact_items(act.put(
            table,
            "user",
            &user.id,
            Some(&before),
            Some(&after),
            now,
        )?);
    }
    let result = transaction.send().await;
    match result {
        Ok(_) => {
            let mut changed = user.clone();
            changed.role = role;
            changed.updated_at = now;
            changed.tokens_valid_after = now_ms;
            Ok(RoleChange::Changed(Box::new(changed)))
        }
        Err(err) if condition_failed_at(&err, 0) => Ok(RoleChange::Raced),
        Err(err) if condition_failed_at(&err, 1) => Ok(RoleChange::LastAdmin),
        Err(err) => Err(transaction_failed(err)),
    }
}

/// Up to `limit` accounts whose email starts with `prefix`, in the emails' order, after
/// `start`, and where the next page starts.
pub async fn search(
    table: &Table,
    prefix: &str,
    limit: usize,
    start: Option<crate::db::Position>,
) -> Result<(Vec<UserItem>, Option<crate::db::Position>), ApiError> {
    let prefix = (!prefix.is_empty()).then_some(prefix);
    let range = crate::db::Range {
        index: crate::db::Index::Gsi1,
        partition: keys::ACCOUNTS,
        prefix,
        forward: true,
        only: None,
    };
    let (items, next) = crate::db::page_of(table, &range, limit, start).await?;
    let users = items
        .into_iter()
        .map(crate::db::from_item)
        .collect::<Result<Vec<UserItem>, _>>()?;
    Ok((users, next))
}

/// The emails of the accounts `ids`, by id (an id with no account is left out).
pub async fn emails_of(
    table: &Table,
    ids: impl IntoIterator<Item = String>,
) -> Result<std::collections::HashMap<String, String>, ApiError> {
    let keys: Vec<(String, String)> = ids
        .into_iter()
        .map(|id| (keys::user(&id), keys::USER_SK.to_owned()))
        .collect();
    let users: Vec<UserItem> = crate::db::batch_get(table, &keys).await?;
    Ok(users.into_iter().map(|u| (u.id, u.email)).collect())
}

/// The transaction's count of a paid order on its account: one more order, `total_cents`
/// more spent.
pub fn count_purchase(
    table: &Table,
    user_id: &str,
    total_cents: i64,
) -> Result<TransactWriteItem, ApiError> {
    let update = table
        .update_of(keys::user(user_id), keys::USER_SK)
        .update_expression("ADD orders_count :one, spent_cents :total")
        .expression_attribute_values(":one", number(1))
        .expression_attribute_values(":total", number(total_cents))
        .build()
        .map_err(ApiError::internal)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// Makes sure an admin is in the set of admins (an account promoted before the set existed).
pub async fn record_admin(table: &Table, user_id: &str) -> Result<(), ApiError> {
    table
        .client
        .update_item()
        .table_name(&table.name)
        .key("pk", string(keys::ADMINS_PK))
        .key("sk", string(keys::ADMINS_SK))
        .update_expression("ADD ids :id")
        .expression_attribute_values(":id", string_set(user_id))
        .send()
        .await?;
    Ok(())
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
    table.get(&keys::refresh(hash), keys::REFRESH_SK).await
}

/// Ends a login: every refresh token of the family stops working.
pub async fn revoke_family(table: &Table, family: &str, until: i64) -> Result<(), ApiError> {
    let item = RevokedItem {
        pk: keys::family(family),
        sk: keys::REVOKED_SK.to_owned(),
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
    let spend = table
        .update_of(&old.pk, keys::REFRESH_SK)
        .update_expression("SET rotated_at = :now")
        .condition_expression("attribute_exists(pk) AND attribute_not_exists(rotated_at)")
        .expression_attribute_values(":now", number(now))
        .build()
        .map_err(ApiError::internal)?;
    let family_alive = table
        .check_of(keys::family(&old.family), keys::REVOKED_SK)
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(ApiError::internal)?;
    let user_current = table
        .check_of(keys::user(&old.user_id), keys::USER_SK)
        .condition_expression("attribute_exists(pk) AND tokens_valid_after <= :started")
        .expression_attribute_values(":started", number(old.family_started))
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
        Err(err) => Err(transaction_failed(err)),
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
    table.get(&keys::reset(hash), keys::RESET_SK).await
}

/// Spends a reset token and sets the new password in one transaction, ending every credential
/// of the user issued before `now_ms` (its logins and its other reset tokens). `false` if the
/// token was spent or expired meanwhile, or another reset or password change came after it.
pub async fn spend_reset(
    table: &Table,
    reset: &ResetItem,
    password_hash: &str,
    now: i64,
    now_ms: i64,
) -> Result<bool, ApiError> {
    let spend = table
        .delete_of(&reset.pk, keys::RESET_SK)
        .condition_expression("attribute_exists(pk) AND expires_at > :now")
        .expression_attribute_values(":now", number(now))
        .build()
        .map_err(ApiError::internal)?;
    let set_password = table
        .update_of(keys::user(&reset.user_id), keys::USER_SK)
        .update_expression(
            "SET password_hash = :hash, updated_at = :now, tokens_valid_after = :revoke",
        )
        .condition_expression("attribute_exists(pk) AND tokens_valid_after <= :created")
        .expression_attribute_values(":hash", string(password_hash))
        .expression_attribute_values(":now", number(now))
        .expression_attribute_values(":revoke", number(now_ms))
        .expression_attribute_values(":created", number(reset.created_ms))
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
        Err(err) => Err(transaction_failed(err)),
    }
}
