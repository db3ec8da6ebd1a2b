# An allocation is imported by its id.
terraform import ipam_vpc_allocation.app ipam-pool-alloc-0a1b2c3d4e5f60718
