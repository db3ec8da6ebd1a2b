# Compare what the discovery finds with the pools of an IPAM (and let its auto_import pools
# adopt what is eligible).
resource "ipam_resource_discovery_association" "main" {
  ipam_id                    = "ipam-0a1b2c3d4e5f60718"
  ipam_resource_discovery_id = "ipam-res-disc-0a1b2c3d4e5f60718"

  # As in the AWS provider; kept in Terraform state (the database stores no association tags).
  tags = {
    Name = "main"
  }
}
