//! The engine's arithmetic as properties, and the decoders under random input: no database,
//! no Terraform. One test binary, one module per area (see tests/README.md).

mod fuzz;
mod props;
