# Run as the IPAM admin account.
resource "ipam" "main" {
  operating_regions {
    region_name = "us-east-1"
  }
}

resource "ipam_pool" "dev" {
  address_family = "ipv4"
  ipam_scope_id  = ipam.main.private_default_scope_id
  locale         = "us-east-1"
}

# Every account in the dev unit (at any depth) may allocate from the dev pool.
resource "ipam_resource_share" "dev" {
  name          = "dev-pool"
  resource_arns = [ipam_pool.dev.arn]
  principals    = ["ou-0a1b-2c3d4e5f"]
}
