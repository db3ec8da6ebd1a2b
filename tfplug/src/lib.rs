//! tfplug: write a Terraform provider in Rust.
//!
//! The crate speaks Terraform's plugin protocol 6 (go-plugin handshake, AutoMTLS, gRPC) and
//! turns it into a handful of synchronous traits ([`Provider`], [`Resource`], [`DataSource`],
//! [`Function`]) over typed [`Value`]s. It owns Terraform's planning rules, so a provider
//! cannot produce an inconsistent plan or apply result by forgetting one of them.

pub mod diagnostics;
pub mod identity;
pub mod list;
mod log;
pub mod path;
pub mod plan;
pub mod proto;
pub mod provider;
pub mod rules;
pub mod schema;
mod serve;
pub mod server;
pub mod time;
pub mod tls;
pub mod upgrade;
pub mod value;

pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use identity::{IdentityAttribute, IdentitySchema};
pub use list::{ListItem, ListResource};
pub use path::AttributePath;
pub use provider::{DataSource, Function, FunctionError, Parameter, Plan, Provider, Resource};
pub use rules::{Check, Meaning, Pattern};
pub use schema::{Attribute, Block, Schema};
pub use serve::{serve, ServeConfig, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
pub use value::{Number, Type, Value, ValueError};
