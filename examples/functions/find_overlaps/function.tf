output "clashes" {
  # [["10.0.0.0/16", "10.0.128.0/17"]]
  value = provider::ipam::find_overlaps(["10.0.0.0/16", "10.1.0.0/16", "10.0.128.0/17"])
}
