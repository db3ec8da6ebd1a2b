resource "ipam" "main" {
  operating_regions { region_name = "us-east-1" }
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
