//! A team's PostgreSQL credentials under real Terraform, whatever `IPAM_TEST_BACKEND` says:
//! the provider acts as the account the login role maps to (`database_role`), allocates from
//! the pool shared with that account, fails at plan outside it, and refuses an `account_id`
//! that disagrees with the login role.

mod support;

#[path = "support/teams.rs"]
mod teams;

use std::path::PathBuf;
use support::{pg, Tf, Workspace};
use teams::{open, DEV, NETWORKING};

fn vpc(pool: &str) -> String {
    format!("resource \"ipam_vpc_allocation\" \"vpc\" {{\n  ipam_pool_id   = \"{pool}\"\n  netmask_length = 24\n}}\n")
}

#[test]
fn the_dev_role_allocates_as_its_account_only_from_its_share() {
    let cluster = pg::cluster();
    let owner_url = cluster.new_database();
    let db = support::pg::database_name(&owner_url);
    cluster.password_role("ipam_net", "net-secret");
    cluster.password_role("ipam_dev", "dev-secret");
    let teams::Teams {
        shared, unshared, ..
    } = teams::build(
        &owner_url,
        &mut cluster.admin(&db),
        &cluster.url_as("ipam_net", "net-secret", &db),
    );

    let mut dev = Workspace::new(Tf::V1_15);
    dev.db = PathBuf::from(cluster.url_as("ipam_dev", "dev-secret", &db));
    dev.config(&vpc(&shared));
    dev.init();
    dev.apply().ok();
    let id = dev.resource("ipam_vpc_allocation.vpc")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let owner = open(&owner_url);
    assert_eq!(owner.get_allocation(&id).unwrap().unwrap().owner_id, DEV);
    dev.assert_no_changes();

    // Outside its share the plan fails on ipam_pool_id, naming the account and the pool.
    support::rejected(&dev, &vpc(&unshared), &[DEV, &unshared, "ipam_pool_id"]);

    // A declared account_id that disagrees with the login role names both.
    let other = dev.sibling();
    other.config(&vpc(&shared));
    let main = std::fs::read_to_string(other.path().join("main.tf")).unwrap();
    let main = main.replacen(
        "provider \"ipam\" {\n",
        &format!("provider \"ipam\" {{\n  account_id = \"{NETWORKING}\"\n"),
        1,
    );
    other.write("main.tf", &main);
    other.init();
    let before = dev.dump();
    other
        .plan()
        .fails_with("account_id disagrees with the database login role")
        .fails_with(&format!(
            "account_id is {NETWORKING}, but the database login role acts as the account {DEV}"
        ));
    assert_eq!(before, dev.dump());

    // The agreeing declaration is accepted; releasing works with the team's credentials.
    let main = main.replace(NETWORKING, DEV);
    other.write("main.tf", &main);
    let r = other.plan();
    assert_eq!(
        r.code,
        2,
        "plan should propose the allocation:\n{}",
        r.text()
    );
    dev.destroy().ok();
    assert!(owner.get_allocation(&id).unwrap().is_none());
}
