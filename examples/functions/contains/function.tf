output "inside" {
  value = provider::ipam::contains("10.0.0.0/8", "10.1.0.0/16") # true
}
