//! Verification: `cargo xtask test`, the offline checks of the template, the contract
//! (schemathesis), the IAM check and the fault door.

pub mod checks;
pub mod contract;
pub mod faults;
pub mod iam;
pub mod testrun;
