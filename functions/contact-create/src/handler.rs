//! A message for the shop, counted against the IP API Gateway saw.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::contact::{Contact, NewMessage};
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, source_ip};
use shared::idempotency::Caller;

shared::state! {
    /// The messages and the idempotency keys.
    pub struct State { contact: Contact, idempotent: Idempotent }
}

pub async fn send(s: &State, request: Request) -> HandlerResult {
    let ip = source_ip(&request);
    let receive = async |message: NewMessage, now| {
        json(
            StatusCode::ACCEPTED,
            &s.contact.receive(&ip, message, now).await?,
        )
    };
    s.idempotent.post(request, Caller::Anonymous, receive).await
}

#[cfg(test)]
mod tests;
