# A pool CIDR allocation is imported by "<allocation id>_<pool id>".
terraform import ipam_pool_cidr_allocation.interconnect ipam-pool-alloc-0a1b2c3d4e5f60718_ipam-pool-0a1b2c3d4e5f60718
