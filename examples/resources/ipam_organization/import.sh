# The organization is imported by its id.
terraform import ipam_organization.org o-0a1b2c3d4e
