//! The catalog listing's decisions, as pure functions of what was asked: who may see inactive
//! products, which index a listing reads and how, and which listing a cursor belongs to. The
//! service reads the index around them; these tests need no table.

use super::keys::{self, ProductIndex};
use super::model::Category;
use super::repo::Listing;
use super::service::ListParams;
use crate::auth::Principal;
use crate::error::{ApiError, FieldError};

/// Inactive products are listed for staff and admins only: `401` without a token, `403` for a
/// customer.
pub fn may_list(principal: Option<&Principal>, params: &ListParams) -> Result<(), ApiError> {
    match (params.include_inactive, principal) {
        (false, _) => Ok(()),
        (true, None) => Err(ApiError::Unauthorized),
        (true, Some(p)) => p.require_staff(),
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
    let sort = match params.sort.as_deref() {
        None => None,
        Some("newest") => Some(Sort::Newest),
        Some("price_asc") => Some(Sort::PriceAsc),
        Some("price_desc") => Some(Sort::PriceDesc),
        Some(_) => {
            errors.push(FieldError::new(
                "sort",
                "must be newest, price_asc or price_desc",
            ));
            None
        }
    };
    if q.is_some() && sort.is_some() {
        errors.push(FieldError::new(
            "sort",
            "cannot be combined with q: a name search is in name order",
        ));
    }
    for (field, price) in [
        ("min_price", params.min_price),
        ("max_price", params.max_price),
    ] {
        if price.is_some_and(|p| !(0..=100_000_000).contains(&p)) {
            errors.push(FieldError::new(field, "must be from 0 to 100000000"));
        }
    }
    if let (Some(min), Some(max)) = (params.min_price, params.max_price)
        && min > max
    {
        errors.push(FieldError::new(
            "min_price",
            "must not be more than max_price",
        ));
    }
    ApiError::unless_invalid(errors)?;
    let category = params.category.as_deref().unwrap_or("");
    let by_price = matches!(sort, Some(Sort::PriceAsc | Sort::PriceDesc));
    let (index, category_filter) = match (&q, &params.category, by_price) {
        // By name, within a category if one is given (filtered, not an index of its own).
        (Some(_), _, _) => (ProductIndex::Name, params.category.clone()),
        (None, Some(_), true) => (ProductIndex::CategoryPrice, None),
        (None, None, true) => (ProductIndex::Price, None),
        (None, Some(_), false) => (ProductIndex::Category, None),
        (None, None, false) => (ProductIndex::Catalog, None),
    };
    let (min, max) = (
        params.min_price.unwrap_or(0),
        params.max_price.unwrap_or(PRICE_CEILING),
    );
    let priced = params.min_price.is_some() || params.max_price.is_some();
    let scope = format!(
        "products|{category}|{}|{}|{:?}|{min}|{max}",
        q.as_deref().unwrap_or(""),
        params.include_inactive,
        sort.unwrap_or(Sort::Newest),
    );
    let listing = Listing {
        index,
        partition: keys::partition(index, category),
        sort_prefix: q,
        // By price, the range is the index's; otherwise a filter on the product's price.
        sort_range: (by_price && priced).then(|| {
            (
                keys::price_key(min, ""),
                // Every key of the highest price sorts below its next price's.
                keys::price_key(max, "~"),
            )
        }),
        category: category_filter,
        price_between: (!by_price && priced).then_some((min, max)),
        active_only: !params.include_inactive,
        // Without a sort, in creation order (as before sorts existed).
        descending: matches!(sort, Some(Sort::Newest | Sort::PriceDesc)),
    };
    Ok((listing, scope))
}

/// The orders a listing may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    PriceAsc,
    PriceDesc,
}

/// Above every price a product may have.
const PRICE_CEILING: i64 = 9_999_999_999;

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
            ..Default::default()
        }
    }

    fn sorted(
        category: Option<&str>,
        sort: &str,
        min: Option<i64>,
        max: Option<i64>,
    ) -> ListParams {
        ListParams {
            sort: Some(sort.to_owned()),
            min_price: min,
            max_price: max,
            ..params(category, None, false)
        }
    }

    #[test]
    fn a_price_listing_reads_the_price_entries_of_its_range() {
        let (all, _) = listing(&sorted(None, "price_desc", Some(500), Some(1500))).unwrap();
        assert_eq!(
            (all.index, all.partition.as_str()),
            (ProductIndex::Price, "PRICES")
        );
        assert!(all.descending);
        let (lower, upper) = all.sort_range.clone().unwrap();
        assert!(lower <= keys::price_key(500, "01J") && keys::price_key(500, "01J") <= upper);
        assert!(keys::price_key(1500, "7ZZ") <= upper);
        assert!(keys::price_key(1501, "00A") > upper && keys::price_key(499, "7ZZ") < lower);
        let (mugs, _) = listing(&sorted(Some("mugs"), "price_asc", None, None)).unwrap();
        assert_eq!(mugs.partition, "PRICES#mugs");
        assert!(!mugs.descending && mugs.sort_range.is_none());
        // Newest first, the price a filter on the products.
        let (newest, _) = listing(&sorted(Some("mugs"), "newest", Some(1), None)).unwrap();
        assert_eq!(newest.index, ProductIndex::Category);
        assert_eq!(newest.price_between, Some((1, 9_999_999_999)));
        assert!(newest.descending);
    }

    #[test]
    fn a_bad_sort_or_price_range_is_named() {
        for (p, field) in [
            (sorted(None, "cheapest", None, None), "sort"),
            (sorted(None, "newest", Some(10), Some(9)), "min_price"),
            (sorted(None, "newest", None, Some(100_000_001)), "max_price"),
            (
                ListParams {
                    q: Some("mug".into()),
                    ..sorted(None, "price_asc", None, None)
                },
                "sort",
            ),
        ] {
            let Err(ApiError::Validation(errors)) = listing(&p) else {
                panic!("{p:?} is refused");
            };
            assert_eq!(errors[0].field, field);
        }
        // Each sort and range is a listing of its own: a cursor of one is no other's.
        let scope = |p: ListParams| listing(&p).unwrap().1;
        assert_ne!(
            scope(sorted(None, "price_asc", None, None)),
            scope(sorted(None, "price_desc", None, None))
        );
        assert_ne!(
            scope(sorted(None, "price_asc", Some(1), None)),
            scope(sorted(None, "price_asc", None, None))
        );
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
