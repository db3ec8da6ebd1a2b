//! Every resource, data source and function of the provider, driven in-process through the
//! plugin protocol's gRPC service (no Terraform binary, no plugin process): create, refresh,
//! an empty second plan, updates in place, import, destroy, and the refusals with the
//! attribute each diagnostic is on. Runs on this run's backend (`IPAM_TEST_BACKEND=postgres`:
//! the test process's own PostgreSQL server), like the store tests.
//!
//! Real Terraform stays in `tests/e2e/` for what only Terraform does: the protocol's
//! handshake, `import` blocks and identities, `terraform query`, state upgrades, several
//! processes at once.

#[path = "../support/mod.rs"]
mod support;
use support::pg;

mod harness;

mod allocations;
mod audit_changes;
mod data_sources;
mod discovery;
mod functions;
mod ipam;
mod organizations;
mod pools;
mod updates;
