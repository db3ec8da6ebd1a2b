resource "ipam" "main" {
  operating_regions {
    region_name = "us-east-1"
  }
}

resource "ipam_pool" "top" {
  ipam_scope_id  = ipam.main.private_default_scope_id
  address_family = "ipv4"
  description    = "All private IPv4"
}

resource "ipam_pool" "production" {
  ipam_scope_id                     = ipam.main.private_default_scope_id
  address_family                    = "ipv4"
  source_ipam_pool_id               = ipam_pool.top.id
  locale                            = "us-east-1"
  description                       = "Production VPCs"
  allocation_min_netmask_length     = 16
  allocation_max_netmask_length     = 24
  allocation_default_netmask_length = 20
  allocation_resource_tags = {
    environment = "production"
  }
}

# A VPC's CIDR from the production pool, and a resource planning pool carved from it: its
# allocations (ipam_pool_cidr_allocation) plan that VPC's subnets.
resource "ipam_vpc_allocation" "app" {
  ipam_pool_id = ipam_pool.production.id
  tags = {
    environment = "production"
  }
}

resource "ipam_pool" "app_subnets" {
  ipam_scope_id       = ipam.main.private_default_scope_id
  address_family      = "ipv4"
  source_ipam_pool_id = ipam_pool.production.id
  locale              = "us-east-1"

  source_resource {
    resource_id     = ipam_vpc_allocation.app.vpc_id
    resource_type   = "vpc"
    resource_owner  = ipam_vpc_allocation.app.owner_id
    resource_region = ipam_vpc_allocation.app.region
  }
}
