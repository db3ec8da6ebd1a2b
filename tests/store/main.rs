//! The store's rules through `ipam::store::Store`, on the backend of the run (SQLite, or
//! PostgreSQL with `IPAM_TEST_BACKEND=postgres`), and what only PostgreSQL has. One test binary,
//! one module per area; `scripts/test.sh` runs it on both backends (see tests/README.md).

#[path = "../support/mod.rs"]
mod support;

mod adoption;
mod backends_agree;
mod hierarchy;
mod integrity;
mod moved;
mod origins;
mod pg_adoption;
mod pg_roles;
mod placement;
mod postgres;
mod postgres_commit;
mod postgres_tls;
mod processes;
mod sharing;
