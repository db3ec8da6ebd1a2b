variable "pool_id" {
  type = string
}

# The pool's provisioned CIDRs inside 10.0.0.0/8.
data "ipam_pool_cidrs" "production" {
  ipam_pool_id = var.pool_id
  filter {
    name   = "cidr"
    values = ["10.*"]
  }
}

output "provisioned" {
  value = [for c in data.ipam_pool_cidrs.production.ipam_pool_cidrs : c.cidr if c.state == "provisioned"]
}
