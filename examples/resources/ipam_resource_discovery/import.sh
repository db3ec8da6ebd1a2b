# A resource discovery is imported by its id.
terraform import ipam_resource_discovery.everything ipam-res-disc-0a1b2c3d4e5f60718
