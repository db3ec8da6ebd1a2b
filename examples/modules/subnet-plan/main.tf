# A module that refuses overlapping subnet plans at plan time, with no database involved:
# provider functions run inside Terraform's validation (Terraform >= 1.8).

terraform {
  required_providers {
    ipam = {
      source = "local/ipam"
    }
  }
}

variable "vpc_cidr" {
  type = string
}

variable "subnets" {
  description = "Subnet CIDRs by name; they must lie in vpc_cidr and must not overlap."
  type        = map(string)

  validation {
    condition     = length(provider::ipam::find_overlaps(values(var.subnets))) == 0
    error_message = "Subnets overlap: ${jsonencode(provider::ipam::find_overlaps(values(var.subnets)))}."
  }
}

locals {
  outside = [for name, cidr in var.subnets : name if !provider::ipam::contains(var.vpc_cidr, cidr)]
}

output "subnets" {
  value = var.subnets

  precondition {
    condition     = length(local.outside) == 0
    error_message = "Subnets outside ${var.vpc_cidr}: ${join(", ", local.outside)}."
  }
}

output "addresses" {
  value = { for name, cidr in var.subnets : name => provider::ipam::size(cidr) }
}
