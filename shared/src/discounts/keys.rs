//! The keys of discount codes' items (see the module's table).

pub const DISCOUNT_SK: &str = "DISCOUNT";
/// The gsi1 partition listing every code.
pub const LISTING: &str = "DISCOUNTS";

pub fn discount(code: &str) -> String {
    format!("DISCOUNT#{code}")
}

/// The item counting one customer's orders that hold a code.
pub fn usage(customer: &str) -> String {
    format!("USE#{customer}")
}

/// Who a redemption is counted for: the order's email, normalised and hashed (no address in
/// a key).
pub fn customer(email: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(email.trim().to_lowercase().as_bytes());
    crate::auth::tokens::hex(&digest[..16])
}
