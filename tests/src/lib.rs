//! Black-box tests of the Storefront API; see `tests/tests/`.
