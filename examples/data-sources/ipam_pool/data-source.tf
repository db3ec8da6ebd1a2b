data "ipam_pool" "production" {
  filter {
    name   = "description"
    values = ["Production VPCs"]
  }
  filter {
    name   = "tag:environment"
    values = ["production"]
  }
}

output "production_cidrs" {
  value = data.ipam_pool.production.cidrs
}
