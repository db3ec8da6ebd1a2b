//! A team's PostgreSQL credentials under real Terraform, whatever `IPAM_TEST_BACKEND` says:
//! the provider acts as the account the login role maps to (`database_role`), allocates from
//! the pool shared with that account, fails at plan outside it, and refuses an `account_id`
//! that disagrees with the login role.

mod support;

use ipam::engine::{AllocationRequest, Cidr};
use ipam::store::{Actor, OrganizationAccount, PoolSpec, ShareSpec, Store};
use std::path::PathBuf;
use std::time::Duration;
use support::{pg, Tf, Workspace};

const MANAGEMENT: &str = "111111111111";
const NETWORKING: &str = "222222222222";
const DEV: &str = "333333333333";

fn open(url: &str) -> Store {
    Store::open_database(
        url,
        Cidr::parse("2001:db8::/32").unwrap(),
        Duration::from_secs(60),
    )
    .unwrap()
}

/// The organization, built by its owners: the management account (as the database owner)
/// maps the networking and dev roles and delegates; the networking role builds two pools and
/// shares the first with the dev unit. Returns the shared and the unshared pool.
fn organization(owner_url: &str, db: &str) -> (String, String) {
    let cluster = pg::cluster();
    cluster.password_role("ipam_net", "net-secret");
    cluster.password_role("ipam_dev", "dev-secret");
    let owner = open(owner_url);
    let m = Actor::new(MANAGEMENT, "us-east-1");
    let org = owner.create_organization(&m).unwrap();
    let dev_ou = owner
        .create_organizational_unit(&m, "dev", &org.root_id)
        .unwrap();
    for (account, parent, role) in [
        (NETWORKING, &org.root_id, "ipam_net"),
        (DEV, &dev_ou.id, "ipam_dev"),
    ] {
        let a = OrganizationAccount {
            account_id: account.into(),
            name: role.into(),
            parent_id: parent.clone(),
            database_role: Some(role.into()),
        };
        owner.put_organization_account(&m, &a, true).unwrap();
    }
    owner.set_delegated_admin(&m, Some(NETWORKING)).unwrap();
    let mut admin = cluster.admin(db);
    for role in ["ipam_net", "ipam_dev"] {
        admin
            .batch_execute(&format!(
                "GRANT USAGE ON SCHEMA public TO {role};
                 GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
                 GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};
                 REVOKE INSERT, UPDATE, DELETE ON schema_version FROM {role};"
            ))
            .unwrap();
    }
    let net = open(&cluster.url_as("ipam_net", "net-secret", db));
    let n = Actor::new(NETWORKING, "us-east-1");
    let ipam = net
        .create_ipam(&n, None, vec![], Default::default())
        .unwrap();
    let pool = |cidr: &str| {
        let p = net
            .create_pool(
                &n,
                PoolSpec {
                    scope_id: ipam.private_default_scope_id.clone(),
                    ..Default::default()
                },
            )
            .unwrap();
        net.provision_cidr(
            &n,
            &p.id,
            AllocationRequest::Explicit(Cidr::parse(cidr).unwrap()),
        )
        .unwrap();
        p.id
    };
    let shared = pool("10.0.0.0/16");
    let unshared = pool("10.1.0.0/16");
    net.put_resource_share(
        &n,
        None,
        &ShareSpec {
            name: "dev".into(),
            resources: vec![shared.clone()],
            principals: vec![dev_ou.id],
            ..Default::default()
        },
    )
    .unwrap();
    (shared, unshared)
}

fn vpc(pool: &str) -> String {
    format!("resource \"ipam_vpc_allocation\" \"vpc\" {{\n  ipam_pool_id   = \"{pool}\"\n  netmask_length = 24\n}}\n")
}

#[test]
fn the_dev_role_allocates_as_its_account_only_from_its_share() {
    let cluster = pg::cluster();
    let owner_url = cluster.new_database();
    let db = owner_url
        .rsplit('/')
        .next()
        .and_then(|t| t.split('?').next())
        .unwrap()
        .to_string();
    let (shared, unshared) = organization(&owner_url, &db);

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
