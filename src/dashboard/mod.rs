//! Monitoring: the read-only dashboard of the address space with `/metrics` for Prometheus
//! (`serve`), and the 80% alarm (`check`). Both read the database without write access, so
//! looking can never change what Terraform relies on. The commands themselves (flags, output,
//! exit codes) are in `src/cli/serve.rs` and `src/cli/check.rs`.

pub mod app;
mod chart;
pub mod check;
pub mod format;
pub mod map;
pub mod metrics;
pub mod pages;
pub mod server;
