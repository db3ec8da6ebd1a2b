//! The docs against the schemas: the Registry pages and the examples they show, and the guide
//! for users coming from the AWS provider. No database, no Terraform. One test binary, one
//! module per area (see tests/README.md).

mod architecture;
mod guide_aws;
mod registry;
