# Every IPv4 pool for production, in any region.
data "ipam_pools" "production" {
  filter {
    name   = "description"
    values = ["Production*"]
  }
  filter {
    name   = "address-family"
    values = ["ipv4"]
  }
}

output "production_pools" {
  value = { for p in data.ipam_pools.production.ipam_pools : p.id => p.locale }
}
