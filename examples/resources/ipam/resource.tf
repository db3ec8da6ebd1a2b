resource "ipam" "main" {
  description       = "Platform IPAM"
  operating_regions {
    region_name = "us-east-1"
  }
  operating_regions {
    region_name = "eu-west-1"
  }
  tags = {
    team = "platform"
  }
}
