# Every IPAM owned by the network team.
data "ipam_ipams" "network" {
  filter {
    name   = "tag:team"
    values = ["network"]
  }
}

output "ipam_ids" {
  value = [for i in data.ipam_ipams.network.ipams : i.id]
}
