resource "ipam_organization" "org" {}

resource "ipam_organization_account" "networking" {
  account_id = "222222222222"
  name       = "networking"
  parent_id  = ipam_organization.org.root_id
}

# From now on only 222222222222 creates, changes or destroys IPAMs, scopes, pools and shares.
resource "ipam_organization_admin_account" "networking" {
  delegated_admin_account_id = ipam_organization_account.networking.account_id
}
