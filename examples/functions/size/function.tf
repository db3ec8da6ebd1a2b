output "addresses" {
  value = provider::ipam::size("2001:db8::/56") # 4722366482869645213696, exact
}
