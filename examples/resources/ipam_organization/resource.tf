# Run as the management account: the provider block's account_id becomes the organization's
# management account.
resource "ipam_organization" "org" {}
