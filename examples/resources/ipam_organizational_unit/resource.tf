resource "ipam_organization" "org" {}

resource "ipam_organizational_unit" "dev" {
  name      = "dev"
  parent_id = ipam_organization.org.root_id
}

# A unit inside another: a share with "dev" reaches its accounts too.
resource "ipam_organizational_unit" "dev_web" {
  name      = "dev-web"
  parent_id = ipam_organizational_unit.dev.id
}
