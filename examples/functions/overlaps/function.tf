output "overlap" {
  value = provider::ipam::overlaps("10.0.0.0/16", "10.0.128.0/17") # true
}
