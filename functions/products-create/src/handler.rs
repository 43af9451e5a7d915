//! A new product, from an admin.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::catalog::Catalog;
use shared::catalog::model::ProductFields;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json_with_etag};

shared::state! {
    /// The catalog, the admin gate and the idempotency keys.
    pub struct State { catalog: Catalog, gate: Gate, idempotent: Idempotent }
}

pub async fn create(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.admin(&request).await?;
    let create = async |fields: ProductFields, now| {
        json_with_etag(
            StatusCode::CREATED,
            s.catalog.create(fields, now).await?.tagged()?,
        )
    };
    s.idempotent.post(request, (&admin).into(), create).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::http::Input;

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        let sample = include_str!("../../../events/products-create/create.json");
        shared::testing::assert_admin_gate(sample, create).await;
    }

    #[test]
    fn every_field_of_a_bad_body_is_named() {
        // Checked only once the admin is confirmed; these keys reach no table, so the body is
        // checked by the parser alone here.
        let body = br#"{"stock": 1.5, "name": "", "price_cents": -1}"#;
        let parsed =
            shared::http::request::parse_json::<ProductFields>(body, ProductFields::REQUIRED);
        let Err(shared::ApiError::Validation(errors)) = parsed else {
            panic!("{parsed:?}");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["sku", "name", "price_cents", "category", "stock"]);
    }
}
