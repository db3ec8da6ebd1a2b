//! The provider under a real `terraform` (1.15.5 and 1.0.3), on the backend of the run (SQLite,
//! or PostgreSQL with `IPAM_TEST_BACKEND=postgres`), and PostgreSQL itself under Terraform. One
//! test binary, one module per area; `scripts/test.sh` runs it on both backends (see
//! tests/README.md).

#[path = "../support/mod.rs"]
mod support;

mod aws;
mod concurrency;
mod dashboard;
mod data_sources;
mod discovery;
mod examples;
mod named;
mod organizations;
mod pg_roles;
mod plan_checks;
mod postgres;
mod postgres_restart;
mod query;
mod recovery;
mod resources;
mod values;
