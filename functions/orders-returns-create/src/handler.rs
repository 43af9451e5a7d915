//! A return asked for: once per `Idempotency-Key`, its units counted on the order's lines in
//! the same transaction, and the customer mailed.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::principal;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, path_id};
use shared::mail::MailQueue;
use shared::orders::returns::NewReturn;
use shared::orders::service::Orders;
use shared::secrets::Keys;

shared::state! {
    /// The orders, the mail queue, the keys that check the token and the idempotency keys (a
    /// key is required: a return asked twice must be one return).
    pub struct State { orders: Orders, mail: MailQueue, keys: Keys, idempotent: Idempotent }
}

pub async fn create(s: &State, request: Request) -> HandlerResult {
    let caller = principal(&request, s.keys.verifier())?;
    let id = path_id(&request, "id")?;
    let create = async |asked: NewReturn, now| {
        let made = s.orders.request_return(&caller, &id, asked, &s.mail, now);
        json(StatusCode::CREATED, &made.await?)
    };
    s.idempotent
        .requiring_key()
        .post(request, (&caller).into(), create)
        .await
}

#[cfg(test)]
mod tests;
