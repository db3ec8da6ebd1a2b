//! Adoption never breaks a scan (SQLite, or PostgreSQL with `IPAM_TEST_BACKEND=postgres`):
//! in a database with an organization, the IPAM admin's scan adopts a VPC of an account no
//! share reaches, recording that account as the owner of an `imported` allocation; another
//! account's scan adopts nothing and says why (on PostgreSQL the test's login is a trusted
//! role, which adopts like the admin); a resource the pool refuses stays `unmanaged` with the
//! reason while the rest of the scan is adopted and stored.

use ipam::discovery::{Compliance, Source};
use ipam::engine::{AllocationRequest, Cidr};
use ipam::store::{Actor, DiscoverySpec, PoolSpec, Store, Tags};

use crate::support::pg;

const ADMIN: &str = "111111111111";
const TEAM: &str = "333333333333";
const UNSHARED: &str = "999999999999";

fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = match pg::backend() {
        pg::Backend::Sqlite => Store::open(&dir.path().join("ipam.db"), c("2001:db8::/32")),
        pg::Backend::Postgres => Store::open_database(
            &pg::cluster().new_database(),
            c("2001:db8::/32"),
            std::time::Duration::from_secs(60),
        ),
    }
    .unwrap();
    (dir, store)
}

/// `describe-vpcs` output: vpc-1 of the unshared account with 10.1.16.0/20 and, nested in
/// it, 10.1.16.0/24 (the second cannot be allocated once the first is), and vpc-2 of the
/// same account with 10.1.64.0/20.
const VPCS: &str = r#"{"Vpcs": [
  {"VpcId": "vpc-1", "OwnerId": "999999999999", "CidrBlock": "10.1.16.0/20",
   "CidrBlockAssociationSet": [
     {"CidrBlock": "10.1.16.0/20", "CidrBlockState": {"State": "associated"}},
     {"CidrBlock": "10.1.16.0/24", "CidrBlockState": {"State": "associated"}}]},
  {"VpcId": "vpc-2", "OwnerId": "999999999999", "CidrBlock": "10.1.64.0/20",
   "CidrBlockAssociationSet": [
     {"CidrBlock": "10.1.64.0/20", "CidrBlockState": {"State": "associated"}}]}
]}"#;

/// An organization (the admin is its management account), an auto-importing pool
/// 10.1.0.0/16 shared with nobody, and a discovery of [`VPCS`]; (pool, discovery).
fn setup(s: &Store, dir: &std::path::Path) -> (String, String) {
    let admin = Actor::new(ADMIN, "us-east-1");
    s.create_organization(&admin).unwrap();
    let ipam = s
        .create_ipam(&admin, None, vec!["us-east-1".into()], Tags::new())
        .unwrap();
    let pool = s
        .create_pool(
            &admin,
            PoolSpec {
                scope_id: ipam.private_default_scope_id.clone(),
                auto_import: true,
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(
        &admin,
        &pool.id,
        AllocationRequest::Explicit(c("10.1.0.0/16")),
    )
    .unwrap();
    std::fs::write(dir.join("vpcs.json"), VPCS).unwrap();
    let d = s
        .create_discovery(
            &admin,
            DiscoverySpec {
                sources: vec![Source {
                    path: "vpcs.json".into(),
                    region: Some("us-east-1".into()),
                    account_id: None,
                }],
                base_dir: dir.display().to_string(),
                ..Default::default()
            },
        )
        .unwrap();
    s.associate_discovery(&admin, &d.id, &ipam.id).unwrap();
    (pool.id, d.id)
}

#[test]
fn only_the_ipam_admins_scan_adopts_and_no_resource_fails_a_scan() {
    let (dir, s) = open();
    let (pool, disc) = setup(&s, dir.path());
    let trusted_login = pg::backend() == pg::Backend::Postgres;

    // Another account's scan succeeds and adopts nothing (unless its login is trusted).
    let team = Actor::new(TEAM, "us-east-1");
    let team_scan = s
        .scan_discovery(&team, &disc, ipam::discovery::read_sources)
        .unwrap();
    if !trusted_login {
        let scan = &team_scan;
        assert!(scan.adopted.is_empty(), "{:?}", scan.adopted);
        assert!(s.list_allocations(&pool).unwrap().is_empty());
        for f in scan
            .findings
            .iter()
            .filter(|f| f.resource.resource_type.as_str() == "vpc")
        {
            assert_eq!(f.compliance, Some(Compliance::Unmanaged), "{f:?}");
            let why = f.reason.as_deref().unwrap_or_default();
            assert!(why.contains(ADMIN) && why.contains(TEAM), "{why}");
        }
    }

    // The admin's scan adopts both eligible VPC CIDRs, owned by the unshared account; the
    // nested one cannot be allocated: it stays unmanaged, saying why, and the scan stands.
    let admin = Actor::new(ADMIN, "us-east-1");
    let admin_scan = s
        .scan_discovery(&admin, &disc, ipam::discovery::read_sources)
        .unwrap();
    let scan = &admin_scan;
    let by_cidr = |cidr: &str| {
        scan.findings
            .iter()
            .find(|f| f.resource.cidr == c(cidr))
            .unwrap_or_else(|| panic!("{cidr} not found: {:?}", scan.findings))
    };
    let allocations = s.list_allocations(&pool).unwrap();
    let mut adopted: Vec<(String, String, &str)> = allocations
        .iter()
        .map(|a| (a.cidr.to_string(), a.owner_id.clone(), a.kind.as_str()))
        .collect();
    adopted.sort();
    assert_eq!(
        adopted,
        [
            ("10.1.16.0/20".to_string(), UNSHARED.to_string(), "imported"),
            ("10.1.64.0/20".to_string(), UNSHARED.to_string(), "imported"),
        ]
    );
    for cidr in ["10.1.16.0/20", "10.1.64.0/20"] {
        let f = by_cidr(cidr);
        assert_eq!(f.compliance, Some(Compliance::Compliant), "{f:?}");
        assert!(f.reason.is_none(), "{f:?}");
    }
    // The scan that adopted (on PostgreSQL the team's trusted one) could not adopt the nested
    // block; later scans see it overlapping the adopted one.
    let adopting = if trusted_login {
        &team_scan
    } else {
        &admin_scan
    };
    let nested = adopting
        .findings
        .iter()
        .find(|f| f.resource.cidr == c("10.1.16.0/24"))
        .unwrap();
    assert_eq!(adopting.adopted.len(), 2, "{:?}", adopting.adopted);
    assert_eq!(nested.compliance, Some(Compliance::Unmanaged), "{nested:?}");
    assert!(
        nested
            .reason
            .as_deref()
            .is_some_and(|r| r.contains(&pool) && r.contains("could not adopt")),
        "{nested:?}"
    );
    assert!(s.verify().unwrap().is_empty(), "{:?}", s.verify());
    // Audited as the admin's act, one event per adoption.
    let events = s.audit_events(None, 100).unwrap();
    let imports: Vec<_> = events
        .iter()
        .filter(|e| e.action == "auto-import-discovered-cidr")
        .collect();
    assert_eq!(imports.len(), 2);
    // (On PostgreSQL the team's trusted login adopted them, in the first scan.)
    let adopter = if trusted_login { TEAM } else { ADMIN };
    assert!(
        imports.iter().all(|e| e.account_id == adopter),
        "{imports:?}"
    );
    // The stored result (what the dashboard shows) keeps the reason.
    let stored = s.view(|v| v.discovered_page(&disc, 0, 1_000)).unwrap();
    let row = stored.iter().find(|x| x.cidr == "10.1.16.0/24").unwrap();
    assert!(row.reason.is_some(), "{row:?}");
    assert_eq!(row.reason, by_cidr("10.1.16.0/24").reason, "{row:?}");
}
