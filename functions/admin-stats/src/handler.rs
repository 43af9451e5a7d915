//! The dashboard's figures: orders and revenue today, every order by status, low stock.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::catalog::Catalog;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, json};
use shared::orders::service::Orders;

shared::state! {
    /// The orders and the catalog it counts, and the gate of the admins' routes.
    pub struct State { orders: Orders, catalog: Catalog, gate: Gate }
}

pub async fn stats(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.allowed(&request).await?;
    let (figures, low_stock) = tokio::try_join!(
        s.orders.stats(&admin, shared::clock::now()),
        s.catalog.low_stock(&admin)
    )?;
    json(
        StatusCode::OK,
        &serde_json::json!({
            "orders_today": figures.orders_today,
            "revenue_today_cents": figures.revenue_today_cents,
            "discount_today_cents": figures.discount_today_cents,
            "shipping_today_cents": figures.shipping_today_cents,
            "tax_today_cents": figures.tax_today_cents,
            "orders_by_status": figures.orders_by_status,
            "low_stock": low_stock,
        }),
    )
}

#[cfg(test)]
mod tests;
