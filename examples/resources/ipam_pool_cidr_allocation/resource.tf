variable "pool_id" {
  description = "A pool with provisioned space, e.g. from another team's configuration."
  type        = string
}

# A block kept for the data-centre interconnect: allocated, but for no VPC.
resource "ipam_pool_cidr_allocation" "interconnect" {
  ipam_pool_id = var.pool_id
  cidr         = "10.1.255.0/24"
  description  = "Data-centre interconnect"
}

# The next free /28, avoiding the first block of the pool.
resource "ipam_pool_cidr_allocation" "lab" {
  ipam_pool_id     = var.pool_id
  netmask_length   = 28
  disallowed_cidrs = ["10.1.0.0/28"]
}

output "interconnect_id" {
  # "<allocation id>_<pool id>", the id `terraform import` takes.
  value = ipam_pool_cidr_allocation.interconnect.id
}
