# A scope is imported by its id.
terraform import ipam_scope.lab ipam-scope-0a1b2c3d4e5f60718
