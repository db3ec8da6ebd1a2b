# The platform team's IP plan: one IPAM, a 10.0.0.0/8 top pool, production and development pools
# with guardrails, VPC allocations, and a public IPv6 pool. Run it with scripts/quickstart.sh.

terraform {
  required_providers {
    ipam = {
      source  = "local/ipam"
      version = "0.1.0"
    }
  }
}

# Every configuration that points at the same database shares the same IP space.
provider "ipam" {
  database = "ipam.db"
  region   = "us-east-1"
}

resource "ipam" "main" {
  description       = "Platform IPAM"
  operating_regions {
    region_name = "us-east-1"
  }
  operating_regions {
    region_name = "us-west-2"
  }
  operating_regions {
    region_name = "eu-west-1"
  }
  tags = {
    team = "platform"
  }
}

output "production_pool_id" {
  value = ipam_pool.production.id
}

# The whole private IPv4 space the company uses.
resource "ipam_pool" "top" {
  ipam_scope_id  = ipam.main.private_default_scope_id
  address_family = "ipv4"
  description    = "All private IPv4"
}

resource "ipam_pool_cidr" "top" {
  ipam_pool_id = ipam_pool.top.id
  cidr         = "10.0.0.0/8"
}

# Production: VPCs between /16 and /24, a /20 unless asked otherwise, every VPC tagged.
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
  auto_import = true
}

resource "ipam_pool_cidr" "production" {
  ipam_pool_id = ipam_pool.production.id
  cidr         = "10.1.0.0/16"
  depends_on   = [ipam_pool_cidr.top]
}

resource "ipam_pool" "development" {
  ipam_scope_id                     = ipam.main.private_default_scope_id
  address_family                    = "ipv4"
  source_ipam_pool_id               = ipam_pool.top.id
  locale                            = "us-east-1"
  description                       = "Development VPCs"
  allocation_default_netmask_length = 24
}

resource "ipam_pool_cidr" "development" {
  ipam_pool_id = ipam_pool.development.id
  cidr         = "10.2.0.0/16"
  depends_on   = [ipam_pool_cidr.top]
}

resource "ipam_vpc_allocation" "search" {
  ipam_pool_id   = ipam_pool.production.id
  netmask_length = 22
  description    = "Search VPC"
  tags = {
    environment = "production"
  }
  depends_on = [ipam_pool_cidr.production]
}

resource "ipam_vpc_allocation" "sandbox" {
  ipam_pool_id = ipam_pool.development.id
  description  = "Developer sandbox"
  depends_on   = [ipam_pool_cidr.development]
}

# Public IPv6, drawn from the provider-owned space (Amazon-provided IPv6 on AWS).
resource "ipam_pool" "ipv6" {
  ipam_scope_id                     = ipam.main.public_default_scope_id
  address_family                    = "ipv6"
  locale                            = "us-east-1"
  aws_service                       = "ec2"
  publicly_advertisable             = false
  description                       = "Public IPv6"
  allocation_default_netmask_length = 56
}

resource "ipam_pool_cidr" "ipv6" {
  ipam_pool_id   = ipam_pool.ipv6.id
  netmask_length = 52
}

resource "ipam_vpc_allocation" "payments_ipv6" {
  ipam_pool_id = ipam_pool.ipv6.id
  description  = "Payments VPC IPv6"
  depends_on   = [ipam_pool_cidr.ipv6]
}

data "ipam_utilization" "production" {
  ipam_pool_id = ipam_pool.production.id
  depends_on   = [ipam_vpc_allocation.search, ipam_vpc_allocation.sandbox]
}

output "vpc_cidrs" {
  value = {
    search        = ipam_vpc_allocation.search.cidr
    sandbox       = ipam_vpc_allocation.sandbox.cidr
    payments_ipv6 = ipam_vpc_allocation.payments_ipv6.cidr
  }
}

output "production_utilization_percent" {
  value = data.ipam_utilization.production.utilization_percent
}
