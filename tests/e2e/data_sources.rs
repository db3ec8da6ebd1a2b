//! The data sources under real Terraform: utilization (exact IPv6 counts, the warning),
//! a pool by filters, a pool's allocations, and the preview of the next CIDR.

use crate::support;

use crate::support::{Tf, Workspace};

#[test]
fn data_sources_answer_from_the_shared_database() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform();
    let team = w.sibling();
    team.config(&format!(
        r#"
resource "ipam_vpc_allocation" "a" {{
  ipam_pool_id = "{pool}"
  description  = "first"
  tags = {{
    environment = "production"
  }}
}}

resource "ipam_vpc_allocation" "b" {{
  ipam_pool_id   = "{pool}"
  netmask_length = 24
  depends_on     = [ipam_vpc_allocation.a]
  tags = {{
    environment = "production"
  }}
}}

resource "ipam_vpc_allocation" "named" {{
  ipam_pool_id = "{pool}"
  name         = "held"
  tags = {{
    environment = "production"
  }}
}}
"#
    ));
    team.init();
    team.apply().ok();

    let r = w.sibling();
    r.config(&format!(
        r#"
data "ipam_utilization" "pool" {{
  ipam_pool_id    = "{pool}"
  warn_at_percent = 5
}}

data "ipam_pool" "prod" {{
  filter {{
    name   = "description"
    values = ["prod"]
  }}
}}

data "ipam_pool_allocations" "prod" {{
  ipam_pool_id = "{pool}"
}}

data "ipam_preview_next_cidr" "next" {{
  ipam_pool_id     = "{pool}"
  netmask_length   = 24
  disallowed_cidrs = ["10.1.33.0/24"]
}}

output "util" {{ value = data.ipam_utilization.pool }}
output "pool" {{ value = data.ipam_pool.prod }}
output "allocs" {{ value = data.ipam_pool_allocations.prod.allocations }}
output "next" {{ value = data.ipam_preview_next_cidr.next.cidr }}
"#
    ));
    r.init();
    let out = r.apply().ok();
    assert!(
        support::flatten(&out.text()).contains("Utilization above threshold"),
        "{}",
        out.text()
    );
    let o = r.outputs();
    let u = &o["util"]["value"];
    assert_eq!(u["address_family"], "ipv4");
    assert_eq!(u["total_addresses"], 65536);
    assert_eq!(u["allocated_addresses"], 4096 + 256 + 4096);
    assert_eq!(u["available_addresses"], 65536 - 4096 - 256 - 4096);
    assert_eq!(u["allocation_count"], 3);
    assert_eq!(u["cidrs"][0]["cidr"], "10.1.0.0/16");
    assert_eq!(u["available_blocks"]["16"], 0);
    assert_eq!(u["available_blocks"]["24"], 256 - 16 - 16 - 1);
    assert_eq!(u["largest_free_netmask_length"], 17);
    assert_eq!(o["pool"]["value"]["id"], pool.as_str());
    assert_eq!(
        o["pool"]["value"]["cidrs"],
        serde_json::json!(["10.1.0.0/16"])
    );
    assert_eq!(o["pool"]["value"]["allocation_default_netmask_length"], 20);
    let allocs = o["allocs"]["value"].as_array().unwrap();
    // The named allocation reserved its block at plan time, before the others applied.
    let cidrs: Vec<&str> = allocs.iter().map(|a| a["cidr"].as_str().unwrap()).collect();
    assert_eq!(cidrs, ["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24"]);
    let first = allocs
        .iter()
        .find(|a| a["description"] == "first")
        .expect("the described allocation");
    assert_eq!(first["resource_type"], "vpc");
    assert!(first["resource_id"].as_str().unwrap().starts_with("vpc-"));
    assert_eq!(first["owner_id"], "000000000000");
    assert_eq!(
        o["next"]["value"], "10.1.34.0/24",
        "10.1.33.0/24 is disallowed"
    );

    // Scope and IPAM totals include the top pool; the ipam_pool filter that matches nothing fails.
    let s = w.sibling();
    let scope = w.resource("ipam.main")["private_default_scope_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.config(&format!(
        "data \"ipam_utilization\" \"scope\" {{\n  ipam_scope_id = \"{scope}\"\n}}\noutput \"total\" {{ value = data.ipam_utilization.scope.total_addresses }}\n"
    ));
    s.init();
    s.apply().ok();
    assert_eq!(s.outputs()["total"]["value"], 16777216);
    s.config("data \"ipam_pool\" \"none\" {\n  filter {\n    name   = \"tag:team\"\n    values = [\"nobody\"]\n  }\n}\n");
    s.plan().fails_with("No IPAM pool in this database matches");
}

#[test]
fn ipv6_counts_are_exact_past_two_to_the_64() {
    let w = Workspace::new(Tf::V1_15);
    w.config(
        r#"
resource "ipam" "main" {}

resource "ipam_pool" "v6" {
  ipam_scope_id  = ipam.main.public_default_scope_id
  address_family = "ipv6"
  aws_service    = "ec2"
  allocation_default_netmask_length = 56
}

resource "ipam_pool_cidr" "v6" {
  ipam_pool_id   = ipam_pool.v6.id
  netmask_length = 40
}

resource "ipam_vpc_allocation" "v" {
  ipam_pool_id = ipam_pool.v6.id
  depends_on   = [ipam_pool_cidr.v6]
}

data "ipam_utilization" "v6" {
  ipam_pool_id = ipam_pool.v6.id
  depends_on   = [ipam_vpc_allocation.v]
}

output "total" { value = data.ipam_utilization.v6.total_addresses }
output "allocated" { value = data.ipam_utilization.v6.allocated_addresses }
output "cidr" { value = ipam_vpc_allocation.v.cidr }
"#,
    );
    w.init();
    w.apply().ok();
    let o = w.outputs();
    assert_eq!(o["cidr"]["value"], "2001:db8::/56");
    assert_eq!(o["total"]["value"].to_string(), (1u128 << 88).to_string());
    assert_eq!(
        o["allocated"]["value"].to_string(),
        (1u128 << 72).to_string()
    );
    w.assert_no_changes();
}
