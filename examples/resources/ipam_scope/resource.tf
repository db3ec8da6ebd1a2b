resource "ipam" "main" {
  operating_regions {
    region_name = "us-east-1"
  }
}

resource "ipam_scope" "lab" {
  ipam_id     = ipam.main.id
  description = "Lab networks, kept apart from production"
}
