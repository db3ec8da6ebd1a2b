//! Terraform 1.12+ resource identity and 1.14+ list resources under real Terraform 1.15.5:
//! allocations left without a state are found by `terraform query`, `-generate-config-out`
//! writes import blocks and configuration, `terraform apply` imports them and the plan after is
//! empty (VPC allocations, custom allocations and pools, each listed only by its own list
//! resource); an allocation of either kind is imported by the identity `{ ipam_pool_id, cidr }`.

use crate::support::{flatten, Tf, Workspace};

#[test]
fn query_generates_configuration_that_imports_with_an_empty_plan() {
    let w = Workspace::new(Tf::V1_15);
    let prod = w.platform();
    let scope = w.resource("ipam.main")["private_default_scope_id"]
        .as_str()
        .unwrap()
        .to_string();

    // Allocations made by a run whose state was lost (an interrupted apply, another team).
    let team = w.sibling();
    team.config(&format!(
        r#"
resource "ipam_vpc_allocation" "app" {{
  ipam_pool_id = "{prod}"
  description  = "app"
  tags = {{
    environment = "production"
    role        = "app"
  }}
}}

resource "ipam_vpc_allocation" "db" {{
  ipam_pool_id   = "{prod}"
  netmask_length = 24
  depends_on     = [ipam_vpc_allocation.app]
  tags = {{
    environment = "production"
  }}
}}

resource "ipam_pool_cidr_allocation" "interconnect" {{
  ipam_pool_id = "{prod}"
  cidr         = "10.1.64.0/24"
  description  = "on-premises interconnect"
  depends_on   = [ipam_vpc_allocation.db]
  tags = {{
    environment = "production"
    role        = "app"
  }}
}}

resource "ipam_pool_cidr_allocation" "lab" {{
  ipam_pool_id   = "{prod}"
  netmask_length = 24
  depends_on     = [ipam_pool_cidr_allocation.interconnect]
  tags = {{
    environment = "production"
  }}
}}
"#
    ));
    team.init();
    team.apply().ok();
    let app = team.resource("ipam_vpc_allocation.app");
    let db = team.resource("ipam_vpc_allocation.db");
    let interconnect = team.resource("ipam_pool_cidr_allocation.interconnect");
    let lab = team.resource("ipam_pool_cidr_allocation.lab");
    let lab_cidr = lab["cidr"].as_str().unwrap().to_string();
    std::fs::remove_file(team.path().join("terraform.tfstate")).unwrap();

    let adopt = w.sibling();
    adopt.config("");
    adopt.write(
        "adopt.tfquery.hcl",
        &format!(
            r#"
list "ipam_vpc_allocation" "apps" {{
  provider = ipam
  config {{
    ipam_pool_id = "{prod}"
    tags = {{
      role = "app"
    }}
  }}
}}

list "ipam_pool_cidr_allocation" "reserved" {{
  provider = ipam
  config {{
    ipam_pool_id = "{prod}"
    cidr         = "10.1.64.0/18"
  }}
}}

list "ipam_pool" "pools" {{
  provider = ipam
  config {{
    ipam_scope_id = "{scope}"
  }}
}}
"#
        ),
    );
    adopt.init();
    let q = adopt.run(&["query", "-no-color"]).ok();
    assert!(q.stdout.contains("10.1.0.0/20"), "{}", q.text());
    assert!(
        !q.stdout.contains("10.1.16.0/24"),
        "the tag filter: {}",
        q.text()
    );
    assert!(q.stdout.contains("10.1.64.0/24"), "{}", q.text());
    assert!(
        !q.stdout.contains(&lab_cidr),
        "the cidr filter leaves {lab_cidr} out: {}",
        q.text()
    );
    adopt
        .run(&["query", "-no-color", "-generate-config-out=adopt.tf"])
        .ok();
    let generated = std::fs::read_to_string(adopt.path().join("adopt.tf")).unwrap();
    assert!(generated.contains("import {"), "{generated}");
    assert!(generated.contains("identity"), "{generated}");
    assert_eq!(
        generated
            .matches("resource \"ipam_vpc_allocation\"")
            .count(),
        1,
        "{generated}"
    );
    assert_eq!(
        generated
            .matches("resource \"ipam_pool_cidr_allocation\"")
            .count(),
        1,
        "a custom allocation is listed by its own list resource only: {generated}"
    );
    assert_eq!(
        generated.matches("resource \"ipam_pool\"").count(),
        2,
        "{generated}"
    );
    let r = adopt.apply().ok();
    assert!(flatten(&r.stdout).contains("4 imported"), "{}", r.text());
    adopt.assert_no_changes();
    let state = adopt.state();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap();
    let imported = resources
        .iter()
        .find(|r| r["type"] == "ipam_vpc_allocation")
        .unwrap();
    assert_eq!(imported["values"]["id"], app["id"]);
    let reserved = resources
        .iter()
        .find(|r| r["type"] == "ipam_pool_cidr_allocation")
        .unwrap();
    assert_eq!(reserved["values"]["id"], interconnect["id"]);
    assert_eq!(
        reserved["values"]["description"],
        "on-premises interconnect"
    );

    // Import by identity: the pool and the CIDR name the allocation.
    let by_identity = w.sibling();
    by_identity.config(&format!(
        r#"
import {{
  to = ipam_vpc_allocation.db
  identity = {{
    ipam_pool_id = "{prod}"
    cidr         = "10.1.16.0/24"
  }}
}}

resource "ipam_vpc_allocation" "db" {{
  ipam_pool_id   = "{prod}"
  netmask_length = 24
  tags = {{
    environment = "production"
  }}
}}

import {{
  to = ipam_pool_cidr_allocation.lab
  identity = {{
    ipam_pool_id = "{prod}"
    cidr         = "{lab_cidr}"
  }}
}}

resource "ipam_pool_cidr_allocation" "lab" {{
  ipam_pool_id   = "{prod}"
  netmask_length = 24
  tags = {{
    environment = "production"
  }}
}}
"#
    ));
    by_identity.init();
    let r = by_identity.apply().ok();
    assert!(
        flatten(&r.stdout).contains("2 imported, 0 added, 0 changed, 0 destroyed"),
        "{}",
        r.text()
    );
    assert_eq!(
        by_identity.resource("ipam_vpc_allocation.db")["id"],
        db["id"]
    );
    assert_eq!(
        by_identity.resource("ipam_pool_cidr_allocation.lab")["id"],
        lab["id"]
    );
    by_identity.assert_no_changes();

    // An identity that names nothing is refused.
    let none = w.sibling();
    none.config(&format!(
        r#"
import {{
  to = ipam_vpc_allocation.x
  identity = {{
    ipam_pool_id = "{prod}"
    cidr         = "10.1.200.0/24"
  }}
}}

resource "ipam_vpc_allocation" "x" {{
  ipam_pool_id = "{prod}"
  cidr         = "10.1.200.0/24"
  tags = {{
    environment = "production"
  }}
}}
"#
    ));
    none.init();
    none.plan()
        .fails_with("No ipam_vpc_allocation matches this identity");
}
