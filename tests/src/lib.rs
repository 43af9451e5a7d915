//! Black-box tests of the Storefront API; they live in `tests/api/` and run with `cargo xtask test`.
