# An organizational unit is imported by its id.
terraform import ipam_organizational_unit.dev ou-0a1b-2c3d4e5f
