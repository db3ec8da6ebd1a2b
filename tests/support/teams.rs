//! The seed's organization on a PostgreSQL test database whose teams connect with their own
//! login roles: the management account (as the database owner) maps `ipam_net` to the
//! networking account and `ipam_dev` to an account in the dev unit, grants them what the
//! organizations guide says, and delegates; the networking role builds two pools and shares the
//! first with the dev unit. Used by the tests of the database's own enforcement.

use ipam::engine::{AllocationRequest, Cidr};
use ipam::store::{Actor, OrganizationAccount, PoolSpec, ShareSpec, Store};
use std::time::Duration;

pub const MANAGEMENT: &str = "111111111111";
pub const NETWORKING: &str = "222222222222";
pub const DEV: &str = "333333333333";

pub fn who(account: &str) -> Actor {
    Actor::new(account, "us-east-1")
}

pub fn open(url: &str) -> Store {
    Store::open_database(
        url,
        Cidr::parse("2001:db8::/32").unwrap(),
        Duration::from_secs(60),
    )
    .unwrap()
}

/// The two team roles [`build`] maps: `ipam_net` (password `net-secret`) and `ipam_dev`
/// (`dev-secret`).
pub fn roles(cluster: &super::pg::Cluster) {
    cluster.password_role("ipam_net", "net-secret");
    cluster.password_role("ipam_dev", "dev-secret");
}

/// What the organizations guide tells an operator to grant a team role.
pub fn grant(owner: &mut ipam_db::drivers::postgres::Client, role: &str) {
    owner
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA public TO {role};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
             GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};
             REVOKE INSERT, UPDATE, DELETE ON schema_version FROM {role};"
        ))
        .expect("grant");
}

/// What [`build`] made.
pub struct Teams {
    pub dev_unit: String,
    pub shared: String,
    pub unshared: String,
}

/// Builds the organization. `owner_url` connects as the database owner, `owner` is a plain
/// client of the same database, `net_url` connects as the `ipam_net` role (already created).
pub fn build(
    owner_url: &str,
    owner: &mut ipam_db::drivers::postgres::Client,
    net_url: &str,
) -> Teams {
    let store = open(owner_url);
    assert_eq!(store.login_account().unwrap(), None, "the owner is trusted");
    let m = who(MANAGEMENT);
    let org = store.create_organization(&m).unwrap();
    let dev_unit = store
        .create_organizational_unit(&m, "dev", &org.root_id)
        .unwrap()
        .id;
    for (account, parent, role) in [
        (NETWORKING, &org.root_id, "ipam_net"),
        (DEV, &dev_unit, "ipam_dev"),
    ] {
        let a = OrganizationAccount {
            account_id: account.into(),
            name: role.into(),
            parent_id: parent.clone(),
            database_role: Some(role.into()),
        };
        store.put_organization_account(&m, &a, true).unwrap();
        grant(owner, role);
    }
    store.set_delegated_admin(&m, Some(NETWORKING)).unwrap();

    // The delegated admin builds the IPAM with its own credentials.
    let net = open(net_url);
    assert_eq!(net.login_account().unwrap().as_deref(), Some(NETWORKING));
    let n = who(NETWORKING);
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
            principals: vec![dev_unit.clone()],
            ..Default::default()
        },
    )
    .unwrap();
    Teams {
        dev_unit,
        shared,
        unshared,
    }
}
