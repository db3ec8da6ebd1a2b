variable "ipam_id" {
  type = string
}

data "ipam" "main" {
  id = var.ipam_id
}

output "ipam_regions" {
  value = [for r in data.ipam.main.operating_regions : r.region_name]
}

output "ipam_arn" {
  value = data.ipam.main.arn
}
