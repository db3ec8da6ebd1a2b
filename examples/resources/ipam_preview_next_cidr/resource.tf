variable "pool_id" {
  type = string
}

# The /24 the pool would hand out next, looked up once and kept in state.
resource "ipam_preview_next_cidr" "next" {
  ipam_pool_id     = var.pool_id
  netmask_length   = 24
  disallowed_cidrs = ["10.1.0.0/24"]
}

output "next_cidr" {
  value = ipam_preview_next_cidr.next.cidr
}
