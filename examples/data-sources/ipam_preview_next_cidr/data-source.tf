data "ipam_preview_next_cidr" "next" {
  ipam_pool_id     = "ipam-pool-0a1b2c3d4e5f60718"
  netmask_length   = 24
  disallowed_cidrs = ["10.1.0.0/24"]
}

output "next_free_24" {
  value = data.ipam_preview_next_cidr.next.cidr
}
