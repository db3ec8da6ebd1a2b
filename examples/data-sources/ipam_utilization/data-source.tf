data "ipam_utilization" "production" {
  ipam_pool_id    = "ipam-pool-0a1b2c3d4e5f60718"
  warn_at_percent = 80
}

output "production_free_20s" {
  value = data.ipam_utilization.production.available_blocks["20"]
}
