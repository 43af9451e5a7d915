//! The contact form: messages from anyone, kept for the admins; at most five per client IP an
//! hour.
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | a message | `MESSAGE#<id>` | `MESSAGE` | gsi1 `MESSAGES`/id |
//! | its sender's hourly count | `RATE#contact#<sha256 of the IP>` | `RATE` | |

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::accounts::model::Email;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::cursor::Page;
use crate::db::{Index, Table, from_item, string, to_item};
use crate::error::ApiError;
use crate::ids::Id;
use crate::rate_limit::Window;
use crate::secrets::Keys;
use crate::values::parsed_from_text;

/// Five messages per client IP per hour.
pub const PER_IP: Window = Window {
    limit: 5,
    length_secs: 3600,
};

/// A sender's name: 1–200 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderName(String);

impl SenderName {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        crate::text::single_line(raw, 200).map(Self)
    }
}
parsed_from_text!(SenderName);

/// A message: 1–5000 characters, line breaks allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let text = crate::text::multi_line(raw, 5000)?;
        if text.trim().is_empty() {
            return Err("must not be empty");
        }
        Ok(Self(text))
    }
}
parsed_from_text!(MessageText);

/// `POST /contact`'s body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub name: SenderName,
    pub email: Email,
    pub message: MessageText,
}

impl NewMessage {
    pub const REQUIRED: &'static [&'static str] = &["name", "email", "message"];
}

#[derive(Debug, Serialize, Deserialize)]
struct MessageItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    id: String,
    name: String,
    email: String,
    message: String,
    created_at: i64,
}

/// A message as admins read it.
#[derive(Debug, Serialize)]
pub struct Message {
    pub id: String,
    pub name: String,
    pub email: String,
    pub message: String,
    pub created_at: String,
}

/// The answer to `POST /contact`.
#[derive(Debug, Serialize)]
pub struct Received {
    pub id: String,
}

const ALL: &str = "MESSAGES";

#[derive(Debug, Clone)]
pub struct Contact {
    table: Table,
}

impl Contact {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// `POST /contact`: counted against the sender's IP before it is kept; the sixth within the
    /// hour is `429`. The IP is the one API Gateway saw, never a header the client sets.
    pub async fn receive(
        &self,
        source_ip: &str,
        message: NewMessage,
        now: i64,
    ) -> Result<Received, ApiError> {
        let ip_key = crate::auth::tokens::opaque_key(source_ip);
        PER_IP
            .acquire(&self.table, &format!("contact#{ip_key}"), now)
            .await?;
        let id = Id::new().to_string();
        let item = MessageItem {
            pk: format!("MESSAGE#{id}"),
            sk: "MESSAGE".to_owned(),
            gsi1pk: ALL.to_owned(),
            gsi1sk: id.clone(),
            id: id.clone(),
            name: message.name.0,
            email: message.email.as_str().to_owned(),
            message: message.message.0,
            created_at: now,
        };
        self.table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(to_item(&item)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await?;
        tracing::info!(message.id = %id, "contact message kept");
        Ok(Received { id })
    }

    /// `GET /admin/messages`: newest first; admins only.
    pub async fn list(
        &self,
        principal: &Principal,
        limit: u32,
        cursor: Option<&str>,
        keys: &Keys,
        now: i64,
    ) -> Result<Page<Message>, ApiError> {
        principal.require_admin()?;
        const SCOPE: &str = "messages";
        let (pk_name, sk_name) = Index::Gsi1.key_attributes();
        let start = match cursor {
            Some(cursor) => {
                let position: BTreeMap<String, String> =
                    keys.cursors().decode(SCOPE, cursor, now)?;
                let expected = ["pk", "sk", pk_name, sk_name];
                if position.len() != expected.len()
                    || !expected.iter().all(|k| position.contains_key(*k))
                    || position.get(pk_name).map(String::as_str) != Some(ALL)
                {
                    return Err(ApiError::InvalidCursor);
                }
                Some(
                    position
                        .into_iter()
                        .map(|(k, v)| (k, string(v)))
                        .collect::<HashMap<_, _>>(),
                )
            }
            None => None,
        };
        // One more than the page, to know whether another page follows.
        let output = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .index_name(Index::Gsi1.name())
            .key_condition_expression(format!("{pk_name} = :pk"))
            .expression_attribute_values(":pk", string(ALL))
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await?;
        let mut items: Vec<MessageItem> = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = match items.last() {
            Some(last) if more => Some(keys.cursors().encode(
                SCOPE,
                &BTreeMap::from([
                    ("pk".to_owned(), last.pk.clone()),
                    ("sk".to_owned(), last.sk.clone()),
                    (pk_name.to_owned(), last.gsi1pk.clone()),
                    (sk_name.to_owned(), last.gsi1sk.clone()),
                ]),
                now,
            )?),
            _ => None,
        };
        Ok(Page {
            items: items
                .into_iter()
                .map(|m| Message {
                    id: m.id,
                    name: m.name,
                    email: m.email,
                    message: m.message,
                    created_at: rfc3339(m.created_at),
                })
                .collect(),
            next_cursor,
        })
    }
}
