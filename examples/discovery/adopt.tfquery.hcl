# `terraform query -generate-config-out=adopt.tf` (Terraform 1.14+) writes an import block and a
# resource block for each allocation (VPC or custom) of the pool that no configuration manages yet, then
# `terraform apply` imports them.
list "ipam_vpc_allocation" "production" {
  provider = ipam
  config {
    ipam_pool_id = "ipam-pool-0a1b2c3d4e5f60718"
    tags = {
      environment = "production"
    }
  }
}

list "ipam_pool_cidr_allocation" "reserved" {
  provider = ipam
  config {
    ipam_pool_id = "ipam-pool-0a1b2c3d4e5f60718"
    cidr         = "10.0.0.0/16"
  }
}

list "ipam_pool" "private" {
  provider = ipam
  config {
    ipam_scope_id = "ipam-scope-0a1b2c3d4e5f60718"
  }
}
