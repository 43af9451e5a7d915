//! The parameters of a request's path and query string, typed: an id, a value of its own
//! kind, a page.

use std::str::FromStr;

use lambda_http::{Request, RequestExt};

use crate::cursor::PageRequest;
use crate::error::ApiError;
use crate::ids::Id;

/// The id in the path parameter `name`: anything that is not an id is `404`, since no such
/// resource can exist.
pub fn path_id(request: &Request, name: &str) -> Result<Id, ApiError> {
    request
        .path_parameters_ref()
        .and_then(|params| params.first(name))
        .and_then(Id::parse)
        .ok_or(ApiError::NotFound)
}

/// The path parameter `name` as a `T` (a region, a zone's id): one that cannot be is `400`
/// naming it.
pub fn path_value<T>(request: &Request, name: &str) -> Result<T, ApiError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let raw = request
        .path_parameters_ref()
        .and_then(|params| params.first(name))
        .ok_or(ApiError::NotFound)?;
    raw.parse()
        .map_err(|err| ApiError::validation(name, format!("{err}")))
}

/// A typed query parameter: absent is `None`, unparsable is `400 validation_failed`.
pub fn query_param<T>(request: &Request, name: &str) -> Result<Option<T>, ApiError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let Some(raw) = request
        .query_string_parameters_ref()
        .and_then(|params| params.first(name))
    else {
        return Ok(None);
    };
    raw.parse()
        .map(Some)
        .map_err(|err| ApiError::validation(name, format!("{err}")))
}

impl PageRequest {
    /// The page `?limit=&cursor=` asks for.
    pub fn from_request(request: &Request) -> Result<Self, ApiError> {
        let limit = match query_param::<u32>(request, "limit") {
            Ok(Some(limit)) if (1..=Self::MAX_LIMIT).contains(&limit) => limit,
            Ok(None) => Self::DEFAULT_LIMIT,
            _ => {
                return Err(ApiError::validation(
                    "limit",
                    format!("must be a whole number from 1 to {}", Self::MAX_LIMIT),
                ));
            }
        };
        // `cursor=` with nothing after it asks for the first page, as no cursor does.
        let cursor = request
            .query_string_parameters_ref()
            .and_then(|params| params.first("cursor"))
            .filter(|cursor| !cursor.is_empty())
            .map(str::to_owned);
        Ok(Self { limit, cursor })
    }
}
