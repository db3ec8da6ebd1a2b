//! Adoption under the database's own guards (PostgreSQL, team login roles): a team role's scan
//! of a discovery whose VPC belongs to an account no share reaches never fails; it adopts
//! nothing, says why, and is not stored (discoveries are the admin's to write); the admin
//! role's scan adopts the VPC for its owner. Runs on the test process's own PostgreSQL server,
//! whatever `IPAM_TEST_BACKEND` says.
// test-backends: own (PostgreSQL only, on its own server)

use crate::support::{pg, teams};

use crate::support::teams::{open, who, DEV, NETWORKING};
use ipam::discovery::{Compliance, Source};
use ipam::engine::{AllocationRequest, Cidr};
use ipam::store::{DiscoverySpec, PoolSpec};

const UNSHARED: &str = "999999999999";

#[test]
fn team_roles_scans_never_fail_and_only_the_admins_adopts() {
    let cluster = pg::cluster();
    let owner_url = cluster.new_database();
    let db = pg::database_name(&owner_url);
    teams::roles(cluster);
    let mut admin = cluster.admin(&db);
    let net_url = cluster.url_as("ipam_net", "net-secret", &db);
    teams::build(&owner_url, &mut admin, &net_url);
    let net = open(&net_url);
    let n = who(NETWORKING);
    let ipam = net
        .create_ipam(&n, None, vec!["us-east-1".into()], Default::default())
        .unwrap();
    let pool = net
        .create_pool(
            &n,
            PoolSpec {
                scope_id: ipam.private_default_scope_id.clone(),
                auto_import: true,
                ..Default::default()
            },
        )
        .unwrap();
    net.provision_cidr(
        &n,
        &pool.id,
        AllocationRequest::Explicit(Cidr::parse("10.9.0.0/16").unwrap()),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("vpcs.json"),
        format!(
            r#"{{"Vpcs": [{{"VpcId": "vpc-1", "OwnerId": "{UNSHARED}", "CidrBlock": "10.9.16.0/20",
                "CidrBlockAssociationSet": [{{"CidrBlock": "10.9.16.0/20", "CidrBlockState": {{"State": "associated"}}}}]}}]}}"#
        ),
    )
    .unwrap();
    let disc = net
        .create_discovery(
            &n,
            DiscoverySpec {
                sources: vec![Source {
                    path: "vpcs.json".into(),
                    region: Some("us-east-1".into()),
                    account_id: None,
                }],
                base_dir: dir.path().display().to_string(),
                ..Default::default()
            },
        )
        .unwrap();
    net.associate_discovery(&n, &disc.id, &ipam.id).unwrap();

    // The dev team's role: the scan answers, adopts nothing, says why, stores nothing.
    let dev = open(&cluster.url_as("ipam_dev", "dev-secret", &db));
    let scan = dev
        .scan_discovery(&who(DEV), &disc.id, ipam::discovery::read_sources)
        .unwrap();
    assert!(scan.adopted.is_empty());
    let f = &scan.findings[0];
    assert_eq!(f.compliance, Some(Compliance::Unmanaged), "{f:?}");
    let why = f.reason.as_deref().unwrap_or_default();
    assert!(why.contains(NETWORKING) && why.contains(DEV), "{why}");
    assert_eq!(
        net.get_discovery(&disc.id).unwrap().unwrap().last_scanned,
        None
    );
    assert!(net.list_allocations(&pool.id).unwrap().is_empty());

    // The admin's role adopts the VPC for its owner, whose account no share reaches.
    let scan = net
        .scan_discovery(&n, &disc.id, ipam::discovery::read_sources)
        .unwrap();
    let f = &scan.findings[0];
    assert_eq!(f.compliance, Some(Compliance::Compliant), "{f:?}");
    let held = net.list_allocations(&pool.id).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].owner_id, UNSHARED);
    assert_eq!(held[0].kind.as_str(), "imported");
    assert!(net
        .get_discovery(&disc.id)
        .unwrap()
        .unwrap()
        .last_scanned
        .is_some());
    assert!(net.verify().unwrap().is_empty());
}
