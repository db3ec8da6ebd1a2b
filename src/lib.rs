//! terraform-provider-ipam: an IP address manager served to Terraform.
//!
//! `engine` decides who gets which block, `store` keeps that decision in SQLite,
//! `provider` translates between Terraform values and the two.

pub mod cli;
pub mod dashboard;
pub mod defaults;
pub mod discovery;
pub mod engine;
pub mod provider;
pub mod store;
pub mod text;
