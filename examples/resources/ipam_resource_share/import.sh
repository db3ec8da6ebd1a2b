# A resource share is imported by its id.
terraform import ipam_resource_share.dev rs-0a1b2c3d4e5f60718
