//! The contact form: messages from anyone, kept for the admins; at most five per client IP an
//! hour.
//!
//! | item | pk | sk | indexes |
//! |---|---|---|---|
//! | a message | `MESSAGE#<id>` | `MESSAGE` | gsi1 `MESSAGES`/id |
//! | its sender's hourly count | `RATE#contact#<sha256 of the IP>` | `RATE` | |

use serde::{Deserialize, Serialize};

use crate::accounts::model::Email;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::cursor::{Page, PageRequest};
use crate::db::{Index, Position, Table, from_item, newest_first, to_item};
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

impl crate::http::Input for NewMessage {
    const REQUIRED: &'static [&'static str] = &["name", "email", "message"];
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
        // By network, not by address: an IPv6 client has a /64 of addresses to walk through.
        let network = crate::rate_limit::client_network(source_ip);
        let ip_key = crate::auth::tokens::opaque_key(&network);
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
        page: PageRequest,
        keys: &Keys,
        now: i64,
    ) -> Result<Page<Message>, ApiError> {
        principal.require_staff()?;
        const SCOPE: &str = "messages";
        let limit = page.limit as usize;
        let found = keys
            .cursors()
            .read_page(
                SCOPE,
                page.cursor.as_deref(),
                now,
                |start: Option<Position>| async move {
                    let (items, next) =
                        newest_first(&self.table, Index::Gsi1, ALL, limit, start).await?;
                    let items = items
                        .into_iter()
                        .map(from_item::<MessageItem>)
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((items, next))
                },
            )
            .await?;
        Ok(found.map(|m| Message {
            id: m.id,
            name: m.name,
            email: m.email,
            message: m.message,
            created_at: rfc3339(m.created_at),
        }))
    }
}
