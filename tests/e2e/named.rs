//! Named allocations: the CIDR is reserved at plan time, shown in the plan, the same in every
//! plan, and what apply allocates; subnets carved from it with for_each work in one apply.

use crate::support::{Tf, Workspace};

fn named(pool: &str, name: &str) -> String {
    format!(
        r#"resource "ipam_vpc_allocation" "vpc" {{
  ipam_pool_id = "{pool}"
  name         = "{name}"
  tags = {{
    environment = "production"
  }}
}}

resource "terraform_data" "subnet" {{
  for_each = toset(cidrsubnets(ipam_vpc_allocation.vpc.cidr, 4, 4, 4))
  input    = each.key
}}

output "cidr" {{
  value = ipam_vpc_allocation.vpc.cidr
}}
"#
    )
}

fn planned_cidr(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("+ cidr") && l.contains('"'))
        .unwrap_or_else(|| panic!("no known cidr in the plan:\n{text}"));
    line.split('"').nth(1).unwrap().to_string()
}

#[test]
fn for_each_over_subnets_of_a_named_allocation_in_one_apply() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform();
    let t = w.sibling();
    t.config(&named(&pool, "payments"));
    t.init();
    let p1 = t.run(&["plan", "-input=false", "-no-color"]).ok();
    let p2 = t.run(&["plan", "-input=false", "-no-color"]).ok();
    let cidr = planned_cidr(&p1.stdout);
    assert_eq!(
        cidr,
        planned_cidr(&p2.stdout),
        "two plans show the same CIDR"
    );
    assert!(
        p1.stdout.contains("terraform_data.subnet[\""),
        "{}",
        p1.stdout
    );
    let out = t.apply().ok();
    assert!(out.stdout.contains("4 added"), "{}", out.text());
    assert_eq!(t.outputs()["cidr"]["value"], cidr.as_str());
    t.assert_no_changes();
}

#[test]
fn saved_plan_applies_exactly_the_planned_block() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform();
    let t = w.sibling();
    t.config(&named(&pool, "saved"));
    t.init();
    let p = t
        .run(&["plan", "-input=false", "-no-color", "-out=tfplan"])
        .ok();
    let cidr = planned_cidr(&p.stdout);
    // Meanwhile another team allocates from the pool: the reservation holds our block.
    let other = w.sibling();
    other.config(&format!(
        "resource \"ipam_vpc_allocation\" \"x\" {{\n  ipam_pool_id = \"{pool}\"\n  tags = {{\n    environment = \"production\"\n  }}\n}}\n"
    ));
    other.init();
    other.apply().ok();
    assert_ne!(
        other.resource("ipam_vpc_allocation.x")["cidr"],
        cidr.as_str()
    );
    t.run(&["apply", "-input=false", "-no-color", "tfplan"])
        .ok();
    assert_eq!(t.outputs()["cidr"]["value"], cidr.as_str());
}

#[test]
fn parallel_plans_of_different_names_get_different_blocks_and_duplicates_fail() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform();
    let teams: Vec<Workspace> = (0..3)
        .map(|i| {
            let t = w.sibling();
            t.config(&named(&pool, &format!("team-{i}")));
            t.init();
            t
        })
        .collect();
    let children: Vec<_> = teams
        .iter()
        .map(|t| {
            t.command(&["plan", "-input=false", "-no-color"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut cidrs: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            planned_cidr(&String::from_utf8_lossy(&out.stdout))
        })
        .collect();
    cidrs.sort();
    cidrs.dedup();
    assert_eq!(cidrs.len(), 3, "{cidrs:?}");

    // team-0 applies; a second configuration using the same name fails at plan, on `name`.
    teams[0].apply().ok();
    let dup = w.sibling();
    dup.config(&named(&pool, "team-0"));
    dup.init();
    dup.plan()
        .fails_with("the name \"team-0\" is already used in the pool");
}

#[test]
fn an_expired_reservation_gives_its_space_back() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform();
    let t = w.sibling();
    // Reservations that expire at once: planned, never applied.
    let short = |body: String| {
        body.replace(
            "provider \"ipam\" {",
            "provider \"ipam\" {\n  reservation_ttl = \"1s\"",
        )
    };
    t.config(&named(&pool, "temp"));
    let main = std::fs::read_to_string(t.path().join("main.tf")).unwrap();
    t.write("main.tf", &short(main));
    t.init();
    let cidr = planned_cidr(&t.run(&["plan", "-input=false", "-no-color"]).ok().stdout);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let other = w.sibling();
    other.config(&format!(
        "resource \"ipam_vpc_allocation\" \"x\" {{\n  ipam_pool_id = \"{pool}\"\n  tags = {{\n    environment = \"production\"\n  }}\n}}\n"
    ));
    other.init();
    other.apply().ok();
    assert_eq!(
        other.resource("ipam_vpc_allocation.x")["cidr"],
        cidr.as_str(),
        "the expired block was reused"
    );
}
