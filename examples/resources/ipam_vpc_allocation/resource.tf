resource "ipam" "main" {
  operating_regions {
    region_name = "us-east-1"
  }
}

resource "ipam_pool" "vpcs" {
  ipam_scope_id                     = ipam.main.private_default_scope_id
  address_family                    = "ipv4"
  locale                            = "us-east-1"
  allocation_default_netmask_length = 20
}

resource "ipam_pool_cidr" "vpcs" {
  ipam_pool_id = ipam_pool.vpcs.id
  cidr         = "10.0.0.0/16"
}

# The next free block of the pool's default size.
resource "ipam_vpc_allocation" "app" {
  ipam_pool_id = ipam_pool.vpcs.id
  description  = "App VPC"
  depends_on   = [ipam_pool_cidr.vpcs]
}

# An explicit block, checked against every allocation at plan time.
resource "ipam_vpc_allocation" "legacy" {
  ipam_pool_id = ipam_pool.vpcs.id
  cidr         = "10.0.240.0/20"
  description  = "Legacy VPC"
  depends_on   = [ipam_pool_cidr.vpcs]
}

# A named allocation: reserved at plan time, so its CIDR is known in the plan and subnets can be
# carved from it with for_each in the same apply.
resource "ipam_vpc_allocation" "payments" {
  ipam_pool_id = ipam_pool.vpcs.id
  name         = "payments"
  depends_on   = [ipam_pool_cidr.vpcs]
}
