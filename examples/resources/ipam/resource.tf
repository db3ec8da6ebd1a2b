resource "ipam" "main" {
  description       = "Platform IPAM"
  operating_regions = ["us-east-1", "eu-west-1"]
  tags = {
    team = "platform"
  }
}
