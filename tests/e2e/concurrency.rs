//! Several `terraform apply` runs at once against one database, each allocating from the same
//! pool: every run succeeds and no two blocks overlap.

use crate::support;

use crate::support::{Tf, Workspace};
use ipam::engine::Cidr;

#[test]
fn parallel_applies_never_hand_out_the_same_block() {
    let w = Workspace::new(Tf::V1_15);
    let pool = w.platform();
    let teams: Vec<Workspace> = (0..4)
        .map(|i| {
            let t = w.sibling();
            t.config(&format!(
                "resource \"ipam_vpc_allocation\" \"vpc\" {{\n  count        = 5\n  ipam_pool_id = \"{pool}\"\n  netmask_length = {}\n  description  = \"team {i}\"\n  tags = {{\n    environment = \"production\"\n  }}\n}}\n",
                if i % 2 == 0 { 24 } else { 22 }
            ));
            t.init();
            t
        })
        .collect();
    for (i, out) in support::apply_all(&teams).into_iter().enumerate() {
        assert!(
            out.status.success(),
            "team {i} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut cidrs = Vec::new();
    for t in &teams {
        let state = t.state();
        for r in state["values"]["root_module"]["resources"]
            .as_array()
            .unwrap()
        {
            cidrs.push(Cidr::parse(r["values"]["cidr"].as_str().unwrap()).unwrap());
        }
    }
    assert_eq!(cidrs.len(), 20);
    for (i, a) in cidrs.iter().enumerate() {
        assert!(Cidr::parse("10.1.0.0/16").unwrap().contains(a));
        for b in &cidrs[i + 1..] {
            assert!(!a.overlaps(b), "{a} overlaps {b}");
        }
    }
    for t in &teams {
        t.assert_no_changes();
    }
}
