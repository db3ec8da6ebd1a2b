# Terraform 1.12+: an allocation imported by what names it, without looking up its id.
import {
  to = ipam_vpc_allocation.legacy
  identity = {
    ipam_pool_id = "ipam-pool-0a1b2c3d4e5f60718"
    cidr         = "10.0.240.0/20"
  }
}

resource "ipam_vpc_allocation" "legacy" {
  ipam_pool_id = "ipam-pool-0a1b2c3d4e5f60718"
  cidr         = "10.0.240.0/20"
}

# A custom allocation (`ipam_pool_cidr_allocation`) is named the same way.
import {
  to = ipam_pool_cidr_allocation.interconnect
  identity = {
    ipam_pool_id = "ipam-pool-0a1b2c3d4e5f60718"
    cidr         = "10.0.64.0/24"
  }
}

resource "ipam_pool_cidr_allocation" "interconnect" {
  ipam_pool_id = "ipam-pool-0a1b2c3d4e5f60718"
  cidr         = "10.0.64.0/24"
  description  = "on-premises interconnect"
}
