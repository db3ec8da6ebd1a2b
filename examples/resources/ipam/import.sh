# An IPAM is imported by its id.
terraform import ipam.main ipam-0a1b2c3d4e5f60718
