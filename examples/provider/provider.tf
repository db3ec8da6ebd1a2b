provider "ipam" {
  # One SQLite file is the source of truth for every configuration that points at it.
  database   = "ipam.db"
  account_id = "111122223333"
  region     = "us-east-1"
}
