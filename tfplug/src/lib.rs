//! tfplug: write a Terraform provider in Rust.
//!
//! The crate speaks Terraform's plugin protocol 6 (go-plugin handshake, AutoMTLS, gRPC) and
//! turns it into a handful of synchronous traits ([`Provider`], [`Resource`], [`DataSource`],
//! [`Function`]) over typed [`Value`]s. It owns Terraform's planning rules, so a provider
//! cannot produce an inconsistent plan or apply result by forgetting one of them.

pub mod value;

pub use value::{Number, Type, Value, ValueError};
