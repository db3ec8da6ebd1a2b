# Scans the discovery's sources now and lists what it finds.
data "ipam_discovered_resource_cidrs" "vpcs" {
  ipam_resource_discovery_id = "ipam-res-disc-0a1b2c3d4e5f60718"

  filter {
    name   = "resource-type"
    values = ["vpc"]
  }
}

# VPCs that share addresses with another VPC or with an allocation: fix these first.
output "overlapping" {
  value = [
    for c in data.ipam_discovered_resource_cidrs.vpcs.ipam_discovered_resource_cidrs :
    "${c.resource_id} ${c.resource_cidr}" if c.overlap_status == "overlapping"
  ]
}

# VPCs no pool knows about.
output "unmanaged" {
  value = [
    for c in data.ipam_discovered_resource_cidrs.vpcs.ipam_discovered_resource_cidrs :
    c.resource_cidr if c.compliance_status == "unmanaged"
  ]
}

# Fail the run when a VPC breaks its pool's rules (Terraform 1.5+ check blocks).
check "no_noncompliant_vpcs" {
  assert {
    condition = length([
      for c in data.ipam_discovered_resource_cidrs.vpcs.ipam_discovered_resource_cidrs :
      c if c.compliance_status == "noncompliant"
    ]) == 0
    error_message = "Some VPC CIDRs break their pool's rules; see ipam_discovered_resource_cidrs."
  }
}
