output "subnets" {
  # ["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24", "10.1.3.0/24"], like !Cidr [vpc_cidr, 4, 8]
  value = provider::ipam::subnets("10.1.0.0/16", 4, 8)
}
