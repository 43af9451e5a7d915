//! The caller's own orders, a page at a time.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::principal;
use shared::http::{HandlerResult, PageRequest, json};
use shared::orders::service::Orders;
use shared::secrets::Keys;

shared::state! {
    /// The orders, and the keys that check the token and seal the cursors.
    pub struct State { orders: Orders, keys: Keys }
}

pub async fn list(s: &State, request: Request) -> HandlerResult {
    let caller = principal(&request, s.keys.verifier())?;
    let page = PageRequest::from_request(&request)?;
    let now = shared::clock::now();
    let found = s.orders.list_mine(&caller, page, &s.keys, now).await?;
    json(StatusCode::OK, &found)
}

#[cfg(test)]
mod tests;
