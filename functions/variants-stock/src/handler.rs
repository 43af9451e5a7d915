//! A stock adjustment: `delta` units, for a reason, once per `Idempotency-Key`.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::catalog::Catalog;
use shared::catalog::stock::Adjustment;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, path_id};

shared::state! {
    /// The catalog, the gate of the shop's routes and the idempotency keys (a key is required: an
    /// adjustment sent twice must move the stock once).
    pub struct State { catalog: Catalog, gate: Gate, idempotent: Idempotent }
}

pub async fn adjust(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let product = path_id(&request, "id")?;
    let variant = path_id(&request, "variant_id")?;
    let adjust = async |adjustment: Adjustment, now| {
        let adjusted = s
            .catalog
            .adjust(&staff, &product, &variant, adjustment, now);
        json(StatusCode::OK, &adjusted.await?)
    };
    s.idempotent
        .requiring_key()
        .post(request, (&staff).into(), adjust)
        .await
}

#[cfg(test)]
mod tests;
