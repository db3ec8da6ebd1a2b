//! The command line and the provider process without Terraform, driven through the built
//! binary, on SQLite. One test binary, one module per area (see tests/README.md).

mod check;
mod commands;
mod process_hygiene;
