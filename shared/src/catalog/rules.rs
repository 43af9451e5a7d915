//! The catalog listing's decisions, as pure functions of what was asked: who may see inactive
//! products, which index a listing reads and how, and which listing a cursor belongs to. The
//! service reads the index around them; these tests need no table.

use super::keys::{self, ProductIndex};
use super::model::Category;
use super::repo::Listing;
use super::service::ListParams;
use crate::auth::Principal;
use crate::error::{ApiError, FieldError};

/// Inactive products are listed for admins only: `401` without a token, `403` for a customer.
pub fn may_list(principal: Option<&Principal>, params: &ListParams) -> Result<(), ApiError> {
    match (params.include_inactive, principal) {
        (false, _) => Ok(()),
        (true, None) => Err(ApiError::Unauthorized),
        (true, Some(p)) => p.require_admin(),
    }
}

/// The index a listing reads (a name prefix, a category, or the whole catalog), and the scope
/// its cursors are sealed to (the same filters, the same visibility): every bad parameter
/// named at once.
pub fn listing(params: &ListParams) -> Result<(Listing, String), ApiError> {
    let mut errors = Vec::new();
    if let Some(category) = &params.category
        && let Err(message) = Category::parse(category)
    {
        errors.push(FieldError::new("category", message));
    }
    let q = params.q.as_deref().map(|q| q.trim().to_lowercase());
    if let Some(q) = &q
        && !(1..=200).contains(&q.chars().count())
    {
        errors.push(FieldError::new("q", "must be 1-200 characters"));
    }
    ApiError::unless_invalid(errors)?;
    let category = params.category.as_deref().unwrap_or("");
    let (index, category_filter) = match (&q, &params.category) {
        // By name, within a category if one is given (filtered, not an index of its own).
        (Some(_), _) => (ProductIndex::Name, params.category.clone()),
        (None, Some(_)) => (ProductIndex::Category, None),
        (None, None) => (ProductIndex::Catalog, None),
    };
    let scope = format!(
        "products|{category}|{}|{}",
        q.as_deref().unwrap_or(""),
        params.include_inactive
    );
    let listing = Listing {
        index,
        partition: keys::partition(index, category),
        sort_prefix: q,
        category: category_filter,
        active_only: !params.include_inactive,
    };
    Ok((listing, scope))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn params(category: Option<&str>, q: Option<&str>, include_inactive: bool) -> ListParams {
        ListParams {
            category: category.map(str::to_owned),
            q: q.map(str::to_owned),
            include_inactive,
            limit: 20,
            cursor: None,
        }
    }

    #[test]
    fn inactive_products_are_listed_for_admins_only() {
        let customer = Principal::with_role("u", Role::Customer);
        let admin = Principal::with_role("a", Role::Admin);
        let inactive = params(None, None, true);
        assert!(matches!(
            may_list(None, &inactive),
            Err(ApiError::Unauthorized)
        ));
        assert!(matches!(
            may_list(Some(&customer), &inactive),
            Err(ApiError::Forbidden)
        ));
        assert!(may_list(Some(&admin), &inactive).is_ok());
        assert!(may_list(None, &params(None, None, false)).is_ok());
    }

    #[test]
    fn a_name_search_a_category_and_the_catalog_each_read_their_index() {
        let (by_name, _) = listing(&params(Some("mugs"), Some("  Blue "), false)).unwrap();
        assert_eq!(by_name.index, ProductIndex::Name);
        assert_eq!(by_name.sort_prefix.as_deref(), Some("blue"));
        assert_eq!(by_name.category.as_deref(), Some("mugs"));
        let (by_category, _) = listing(&params(Some("mugs"), None, false)).unwrap();
        assert_eq!(
            (by_category.index, by_category.category),
            (ProductIndex::Category, None)
        );
        let (all, _) = listing(&params(None, None, true)).unwrap();
        assert_eq!(all.index, ProductIndex::Catalog);
        assert!(!all.active_only);
    }

    #[test]
    fn a_cursor_belongs_to_one_listing_and_bad_parameters_are_named_together() {
        let scope = |p: ListParams| listing(&p).unwrap().1;
        let mugs = scope(params(Some("mugs"), None, false));
        assert_ne!(mugs, scope(params(Some("cups"), None, false)));
        assert_ne!(mugs, scope(params(Some("mugs"), None, true)));
        assert_ne!(mugs, scope(params(Some("mugs"), Some("b"), false)));
        let Err(ApiError::Validation(errors)) =
            listing(&params(Some("Not A Slug"), Some(" "), false))
        else {
            panic!("bad parameters are refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["category", "q"]);
    }
}
