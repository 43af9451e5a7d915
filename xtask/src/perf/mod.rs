//! Performance: the benchmark of every function (`cargo xtask bench`) and the load run
//! (`cargo xtask load`).

pub mod bench;
pub mod load;
