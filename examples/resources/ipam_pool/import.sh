# A pool is imported by its id.
terraform import ipam_pool.production ipam-pool-0a1b2c3d4e5f60718
