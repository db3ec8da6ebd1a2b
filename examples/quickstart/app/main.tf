# A product team's configuration: its own state, the platform team's database. The VPC CIDR is a
# named allocation, so it is reserved at plan time and the subnets below can be carved from it
# with for_each in the same apply. Run it after ../ (scripts/quickstart.sh does both).

terraform {
  required_providers {
    ipam = {
      source  = "local/ipam"
      version = "0.1.0"
    }
  }
}

provider "ipam" {
  database = "../ipam.db"
  region   = "us-east-1"
}

# The platform team's production pool, found by its description.
data "ipam_pool" "production" {
  filter {
    name   = "description"
    values = ["Production VPCs"]
  }
}

resource "ipam_vpc_allocation" "payments" {
  ipam_pool_id = data.ipam_pool.production.id
  name         = "payments"
  description  = "Payments VPC"
  tags = {
    environment = "production"
  }
}

# Known at plan time: the plan shows every subnet, and for_each over them works in one apply.
resource "terraform_data" "payments_subnet" {
  for_each = toset(cidrsubnets(ipam_vpc_allocation.payments.cidr, 4, 4, 4, 4))
  input    = each.key
}

output "payments_cidr" {
  value = ipam_vpc_allocation.payments.cidr
}

output "payments_subnets" {
  value = sort([for s in terraform_data.payments_subnet : s.output])
}
