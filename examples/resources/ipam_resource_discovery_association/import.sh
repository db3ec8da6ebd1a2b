# An association is imported by its id.
terraform import ipam_resource_discovery_association.main ipam-res-disc-assoc-0a1b2c3d4e5f60718
