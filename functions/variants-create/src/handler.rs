//! A new variant of a product: its SKU claimed, its stock its first movement.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::catalog::Catalog;
use shared::catalog::variants::NewVariant;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, path_id};

shared::state! {
    /// The catalog, the gate of the shop's routes and the idempotency keys.
    pub struct State { catalog: Catalog, gate: Gate, idempotent: Idempotent }
}

pub async fn create(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let product = path_id(&request, "id")?;
    // The variant's id is the one every attempt at this request gets: a retry after a lost
    // answer finds the variant the first attempt made.
    let create = async |new: NewVariant, now, id| {
        let made = s.catalog.add_variant(&staff, &product, &id, new, now);
        json(StatusCode::CREATED, &made.await?)
    };
    s.idempotent
        .post_reserving(request, (&staff).into(), create)
        .await
}

#[cfg(test)]
mod tests;
