resource "ipam" "main" {
  operating_regions {
    region_name = "us-east-1"
  }
}

resource "ipam_pool" "top" {
  ipam_scope_id  = ipam.main.private_default_scope_id
  address_family = "ipv4"
}

resource "ipam_pool_cidr" "top" {
  ipam_pool_id = ipam_pool.top.id
  cidr         = "10.0.0.0/8"
}

resource "ipam_pool" "child" {
  ipam_scope_id       = ipam.main.private_default_scope_id
  address_family      = "ipv4"
  source_ipam_pool_id = ipam_pool.top.id
}

# The next free /16 of the parent pool.
resource "ipam_pool_cidr" "child" {
  ipam_pool_id   = ipam_pool.child.id
  netmask_length = 16
  depends_on     = [ipam_pool_cidr.top]
}
