# A pool CIDR is imported by "<cidr>_<pool id>".
terraform import ipam_pool_cidr.top 10.0.0.0/8_ipam-pool-0a1b2c3d4e5f60718
