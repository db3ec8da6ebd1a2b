//! tfplug: write a Terraform provider in Rust.
