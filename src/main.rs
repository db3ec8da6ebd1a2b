//! `terraform-provider-ipam`: served to Terraform as a plugin, or run by a person for a look
//! at a database (`terraform-provider-ipam allocations --database ipam.db`).

use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match ipam::cli::run(&args) {
        Some(code) => code,
        None => tfplug::serve(
            Arc::new(ipam::provider::IpamProvider::new()),
            tfplug::ServeConfig {
                address: ipam::provider::ADDRESS.to_string(),
                debug: args.iter().any(|a| a == "--debug"),
                hint: Some(
                    "To look at a database: terraform-provider-ipam allocations | audit | verify (--help)."
                        .into(),
                ),
            },
        ),
    }
}
