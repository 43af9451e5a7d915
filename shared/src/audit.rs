//! The audit log: every write by staff or an admin appends an entry (who, what, which
//! resource, the request, each changed field before → after), put in the same transaction as
//! the write, so that no write is without its entry and no entry without its write. Entries
//! are only ever added: each is put on the condition that its key is new, no route changes or
//! deletes one, and no function's policy grants more than `PutItem` on `AUDIT#` keys (the IAM
//! check of `cargo xtask test` proves it).
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | entry | `AUDIT#<id>` | `AUDIT` | gsi1 `AUDIT_BY#<actor id>`/id, gsi2 `AUDIT_OF#<resource>`/id, gsi3 `AUDIT`/id |

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::db::{Table, put_if};
use crate::error::ApiError;
use crate::ids::Id;

tokio::task_local! {
    /// The request being handled, for its entries: set by the HTTP wrapper around a handler.
    pub static REQUEST_ID: String;
}

/// The gsi3 partition of every entry.
pub const ALL: &str = "AUDIT";

pub fn by(actor_id: &str) -> String {
    format!("AUDIT_BY#{actor_id}")
}

pub fn of(resource: &str) -> String {
    format!("AUDIT_OF#{resource}")
}

/// Each changed field: `[before, after]` (`null` for a field that was not there, or is no more).
pub type Changes = BTreeMap<String, [Value; 2]>;

/// An entry as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntryItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub gsi2pk: String,
    pub gsi2sk: String,
    pub gsi3pk: String,
    pub gsi3sk: String,
    pub id: String,
    pub at: i64,
    pub actor_id: String,
    pub action: String,
    pub resource: String,
    pub resource_id: String,
    pub request_id: String,
    pub changes: Changes,
}

/// An entry as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: String,
    pub at: String,
    pub actor_id: String,
    pub actor_email: Option<String>,
    pub action: String,
    pub resource: String,
    pub resource_id: String,
    pub request_id: String,
    pub changes: Changes,
}

impl EntryItem {
    /// `actor`'s `action` on the `resource` `resource_id`, in the request being handled.
    pub fn new(
        actor: &Principal,
        action: &str,
        resource: &str,
        resource_id: &str,
        changes: Changes,
        now: i64,
    ) -> Self {
        let id = Id::new().to_string();
        Self {
            pk: format!("AUDIT#{id}"),
            sk: "AUDIT".to_owned(),
            gsi1pk: by(&actor.user_id),
            gsi1sk: id.clone(),
            gsi2pk: of(resource),
            gsi2sk: id.clone(),
            gsi3pk: ALL.to_owned(),
            gsi3sk: id.clone(),
            id,
            at: now,
            actor_id: actor.user_id.clone(),
            action: action.to_owned(),
            resource: resource.to_owned(),
            resource_id: resource_id.to_owned(),
            request_id: REQUEST_ID.try_with(Clone::clone).unwrap_or_default(),
            changes,
        }
    }

    /// The transaction's put of the entry: new by its key, or nothing is written.
    pub fn put(&self, table: &Table) -> Result<TransactWriteItem, ApiError> {
        put_if(table, self, "attribute_not_exists(pk)")
    }

    pub fn view(&self, actor_email: Option<String>) -> Entry {
        Entry {
            id: self.id.clone(),
            at: rfc3339(self.at),
            actor_id: self.actor_id.clone(),
            actor_email,
            action: self.action.clone(),
            resource: self.resource.clone(),
            resource_id: self.resource_id.clone(),
            request_id: self.request_id.clone(),
            changes: self.changes.clone(),
        }
    }
}

/// Who does what, for the entry a write appends: the shop's service names the action
/// (`product.update`), its repository the resource and what changed.
#[derive(Debug, Clone, Copy)]
pub struct Act<'a> {
    pub actor: &'a Principal,
    pub action: &'static str,
}

impl<'a> Act<'a> {
    pub fn new(actor: &'a Principal, action: &'static str) -> Self {
        Self { actor, action }
    }

    /// The entry of this act on `resource` `resource_id`, from `before` to `after`.
    pub fn entry(
        &self,
        resource: &str,
        resource_id: &str,
        before: Option<&impl Serialize>,
        after: Option<&impl Serialize>,
        now: i64,
    ) -> EntryItem {
        EntryItem::new(
            self.actor,
            self.action,
            resource,
            resource_id,
            changes(before, after),
            now,
        )
    }

    /// The entry's put, for the write's transaction.
    pub fn put(
        &self,
        table: &Table,
        resource: &str,
        resource_id: &str,
        before: Option<&impl Serialize>,
        after: Option<&impl Serialize>,
        now: i64,
    ) -> Result<TransactWriteItem, ApiError> {
        self.entry(resource, resource_id, before, after, now)
            .put(table)
    }
}

/// What `GET /admin/audit` asks for: entries by one actor, of one kind of resource, or both.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor_id: Option<String>,
    pub resource: Option<String>,
}

/// The audit log, as its readers see it.
#[derive(Debug, Clone)]
pub struct AuditLog {
    table: Table,
}

impl AuditLog {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// `GET /admin/audit`: the entries that `filter` asks for, newest first, each with its
    /// actor's email; admins only.
    pub async fn list(
        &self,
        principal: &Principal,
        filter: Filter,
        page: crate::cursor::PageRequest,
        keys: &crate::secrets::Keys,
        now: i64,
    ) -> Result<crate::cursor::Page<Entry>, ApiError> {
        let table = &self.table;
        principal.require_admin()?;
        for (field, value) in [
            ("actor_id", &filter.actor_id),
            ("resource", &filter.resource),
        ] {
            if value.as_ref().is_some_and(|v| v.is_empty() || v.len() > 64) {
                return Err(ApiError::validation(field, "must be 1-64 characters"));
            }
        }
        let (index, partition, only) = match (&filter.actor_id, &filter.resource) {
            (Some(actor), resource) => (
                crate::db::Index::Gsi1,
                by(actor),
                resource.as_deref().map(|r| ("resource", r)),
            ),
            (None, Some(resource)) => (crate::db::Index::Gsi2, of(resource), None),
            (None, None) => (crate::db::Index::Gsi3, ALL.to_owned(), None),
        };
        let scope = format!(
            "audit|{}|{}",
            filter.actor_id.as_deref().unwrap_or_default(),
            filter.resource.as_deref().unwrap_or_default()
        );
        let range = crate::db::Range {
            index,
            partition: &partition,
            prefix: None,
            forward: false,
            only,
        };
        let limit = page.limit as usize;
        let found = keys
            .cursors()
            .read_page(&scope, page.cursor.as_deref(), now, |start| async move {
                let (items, next) = crate::db::page_of(table, &range, limit, start).await?;
                let entries = items
                    .into_iter()
                    .map(crate::db::from_item::<EntryItem>)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((entries, next))
            })
            .await?;
        let actors: std::collections::BTreeSet<String> =
            found.items.iter().map(|e| e.actor_id.clone()).collect();
        let emails = crate::accounts::repo::emails_of(table, actors).await?;
        Ok(found.map(|entry| {
            let email = emails.get(&entry.actor_id).cloned();
            entry.view(email)
        }))
    }
}

/// Writes the entry of a request that writes nothing else (a product deactivated again, a
/// role given again): the staff member's act is still on record.
pub async fn note(table: &Table, entry: &EntryItem) -> Result<(), ApiError> {
    crate::db::transact(table, vec![entry.put(table)?], None)
        .await
        .map_err(crate::db::transaction_failed)
}

/// Keys of a stored item that are the table's bookkeeping, not what the item says.
const UNSAID: &[&str] = &[
    "pk",
    "sk",
    "gsi1pk",
    "gsi1sk",
    "gsi2pk",
    "gsi2sk",
    "gsi3pk",
    "gsi3sk",
    "updated_at",
    "version",
    "last_move",
    "movements",
    "password_hash",
    "tokens_valid_after",
    "token_hash",
    "token_sealed",
    "client_secret",
];

/// What changed from `before` to `after` (either absent for a creation or a deletion): each
/// leaf field by its dotted path (`variants.<id>.price_cents`; a list is one field), the
/// table's bookkeeping and every secret left out. Pure.
pub fn changes(before: Option<&impl Serialize>, after: Option<&impl Serialize>) -> Changes {
    let before = before
        .and_then(|v| serde_json::to_value(v).ok())
        .unwrap_or(Value::Null);
    let after = after
        .and_then(|v| serde_json::to_value(v).ok())
        .unwrap_or(Value::Null);
    let mut found = Changes::new();
    walk("", &before, &after, &mut found);
    found
}

fn walk(path: &str, before: &Value, after: &Value, found: &mut Changes) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let names: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            for name in names {
                if UNSAID.contains(&name.as_str()) {
                    continue;
                }
                let inner = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                let none = Value::Null;
                walk(
                    &inner,
                    b.get(name).unwrap_or(&none),
                    a.get(name).unwrap_or(&none),
                    found,
                );
            }
        }
        (Value::Null, Value::Object(_)) => {
            walk(path, &Value::Object(Default::default()), after, found);
        }
        (Value::Object(_), Value::Null) => {
            walk(path, before, &Value::Object(Default::default()), found);
        }
        _ if before != after => {
            found.insert(path.to_owned(), [before.clone(), after.clone()]);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_name_each_changed_leaf_and_leave_bookkeeping_and_secrets_out() {
        let before = json!({"pk": "PRODUCT#1", "name": "Mug", "updated_at": 1, "version": 3,
            "variants": {"v1": {"price_cents": 900, "stock": 4, "movements": 2},
                         "v2": {"price_cents": 500}},
            "tags": ["a"]});
        let after = json!({"pk": "PRODUCT#1", "name": "Big mug", "updated_at": 2, "version": 4,
            "variants": {"v1": {"price_cents": 1100, "stock": 4, "movements": 3}},
            "tags": ["a", "b"], "password_hash": "x"});
        let found = changes(Some(&before), Some(&after));
        assert_eq!(
            serde_json::to_value(&found).unwrap(),
            json!({
                "name": ["Mug", "Big mug"],
                "tags": [["a"], ["a", "b"]],
                "variants.v1.price_cents": [900, 1100],
                "variants.v2.price_cents": [500, null],
            })
        );
        let made = changes(
            None::<&Value>,
            Some(&json!({"code": "SPRING", "value": 10})),
        );
        assert_eq!(
            serde_json::to_value(&made).unwrap(),
            json!({"code": [null, "SPRING"], "value": [null, 10]})
        );
        let gone = changes(Some(&json!({"rate_bps": 700})), None::<&Value>);
        assert_eq!(
            serde_json::to_value(&gone).unwrap(),
            json!({"rate_bps": [700, null]})
        );
        assert!(changes(Some(&before), Some(&before)).is_empty());
    }
}
