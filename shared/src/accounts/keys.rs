//! Every key of the accounts' items:
//!
//! | item | pk | sk |
//! |---|---|---|
//! | user | `USER#<id>` | `PROFILE` (gsi1 [`ACCOUNTS`]/email) |
//! | email uniqueness | `EMAIL#<email>` | `EMAIL` |
//! | refresh token | `REFRESH#<sha256 of token>` | `REFRESH` |
//! | revoked login | `FAMILY#<family id>` | `REVOKED` |
//! | reset token | `RESET#<sha256 of token>` | `RESET` |
//! | the set of admins | `ADMINS` | `ADMINS` |

pub fn user(id: &str) -> String {
    format!("USER#{id}")
}
pub const USER_SK: &str = "PROFILE";

/// The gsi1 partition of every account, sorted by email: a search by an email's first letters
/// is one key range.
pub const ACCOUNTS: &str = "ACCOUNTS";

pub fn email(email: &str) -> String {
    format!("EMAIL#{email}")
}
pub const EMAIL_SK: &str = "EMAIL";

pub fn refresh(hash: &str) -> String {
    format!("REFRESH#{hash}")
}
pub const REFRESH_SK: &str = "REFRESH";

pub fn family(family: &str) -> String {
    format!("FAMILY#{family}")
}
pub const REVOKED_SK: &str = "REVOKED";

pub fn reset(hash: &str) -> String {
    format!("RESET#{hash}")
}
pub const RESET_SK: &str = "RESET";

/// One item holds the ids of every admin (a string set), so that demoting the last admin can
/// be refused in the same transaction that changes the role.
pub const ADMINS_PK: &str = "ADMINS";
pub const ADMINS_SK: &str = "ADMINS";

/// Rate-limit keys (`shared::rate_limit`), by a hash of the email so no key holds an address.
pub fn login_attempts(email_hash: &str) -> String {
    format!("login#{email_hash}")
}
pub fn reset_requests(email_hash: &str) -> String {
    format!("reset#{email_hash}")
}
