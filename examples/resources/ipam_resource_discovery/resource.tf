# Where to look for networks built outside the IPAM: every team's state files, and what the
# AWS CLI says exists (`aws ec2 describe-vpcs > inventory/vpcs.json`).
resource "ipam_resource_discovery" "everything" {
  description = "VPCs built by hand or by other tools"

  operating_regions {
    region_name = "us-east-1"
  }
  operating_regions {
    region_name = "eu-west-1"
  }

  # Known exceptions: reported as ignored, never adopted.
  excluded_resource_ids = ["vpc-0a1b2c3d4e5f60718"]

  source {
    path = "../teams/*/terraform.tfstate"
  }
  source {
    path       = "inventory/*.json"
    region     = "us-east-1"
    account_id = "111122223333"
  }

  tags = {
    owner = "network-team"
  }
}
