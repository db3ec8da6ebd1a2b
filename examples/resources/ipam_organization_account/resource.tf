resource "ipam_organization" "org" {}

resource "ipam_organizational_unit" "dev" {
  name      = "dev"
  parent_id = ipam_organization.org.root_id
}

# The development team's account: its configurations set account_id = "333333333333".
resource "ipam_organization_account" "dev" {
  account_id    = "333333333333"
  name          = "development"
  parent_id     = ipam_organizational_unit.dev.id
  database_role = "team_dev" # the PostgreSQL login role acting as this account
}
