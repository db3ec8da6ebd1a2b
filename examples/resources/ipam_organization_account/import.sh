# An account is imported by its 12-digit account id.
terraform import ipam_organization_account.dev 333333333333
