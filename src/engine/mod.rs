//! The allocation engine: pure Rust over ipnet, no I/O, no Terraform types.
