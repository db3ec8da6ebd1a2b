# The delegation is imported by the delegated account's id.
terraform import ipam_organization_admin_account.networking 222222222222
