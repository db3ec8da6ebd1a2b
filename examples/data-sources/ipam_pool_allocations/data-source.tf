data "ipam_pool_allocations" "production" {
  ipam_pool_id = "ipam-pool-0a1b2c3d4e5f60718"
}

output "production_vpcs" {
  value = [for a in data.ipam_pool_allocations.production.allocations : a.cidr if a.resource_type == "vpc"]
}
