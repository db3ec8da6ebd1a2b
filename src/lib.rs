//! terraform-provider-ipam: an IP address manager served to Terraform.
//!
//! The binary's own layers: `provider` translates between Terraform values and core's
//! operations, `cli` is the command line, `dashboard` the read-only web view. Below them, as
//! crates: [`ipam_core`] (the model, rules and operations, re-exported as `store`),
//! [`ipam_engine`] (placement), [`ipam_discovery`] and [`ipam_db`].

pub mod cli;
pub mod dashboard;
pub mod defaults;
pub mod provider;
pub mod text;

pub use ipam_core as store;
pub use ipam_discovery as discovery;
pub use ipam_engine as engine;
