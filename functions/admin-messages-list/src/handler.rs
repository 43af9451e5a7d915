//! The messages sent through the contact form, a page at a time.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::contact::Contact;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, PageRequest, json};

shared::state! {
    /// The messages, and the gate that lets only staff and admins read them.
    pub struct State { contact: Contact, gate: Gate }
}

pub async fn list(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let page = PageRequest::from_request(&request)?;
    let now = shared::clock::now();
    let found = s.contact.list(&staff, page, s.gate.keys(), now).await?;
    json(StatusCode::OK, &found)
}

#[cfg(test)]
mod tests;
