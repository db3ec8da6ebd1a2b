//! The store end to end on a real database (SQLite, or PostgreSQL with `IPAM_TEST_BACKEND=postgres`): the quickstart's hierarchy, refusals that leave
//! nothing behind, release, reservations and utilization.

use ipam::engine::{AllocationKind, AllocationRequest, Cidr, Error as EngineError};
use ipam::store::{Actor, AllocationSpec, Error, PoolSpec, Store, Tags, UtilizationTarget};

fn actor() -> Actor {
    Actor::new("111122223333", "us-east-1")
}

fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

use crate::support::pg;

/// A new empty store on this run's backend (`IPAM_TEST_BACKEND`).
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

fn vpc(pool: &str, request: AllocationRequest, tags: &[(&str, &str)]) -> AllocationSpec {
    AllocationSpec {
        description: Some("test".into()),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..AllocationSpec::new(pool, request, AllocationKind::Vpc)
    }
}

#[test]
fn hierarchy_allocations_and_release() {
    let (_d, s) = open();
    let a = actor();
    let ipam = s
        .create_ipam(
            &a,
            None,
            vec!["us-east-1".into(), "eu-west-1".into()],
            Tags::new(),
        )
        .unwrap();
    assert!(
        ipam.id.starts_with("ipam-") && ipam.id.len() == "ipam-".len() + 17,
        "{}",
        ipam.id
    );
    assert_eq!(ipam.scope_count, 2);
    let top = s
        .create_pool(
            &a,
            PoolSpec {
                scope_id: ipam.private_default_scope_id.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(&a, &top.id, AllocationRequest::Explicit(c("10.0.0.0/8")))
        .unwrap();
    let prod = s
        .create_pool(
            &a,
            PoolSpec {
                scope_id: ipam.private_default_scope_id.clone(),
                parent_id: Some(top.id.clone()),
                locale: Some("us-east-1".into()),
                min_len: Some(16),
                max_len: Some(24),
                default_len: Some(20),
                allocation_tags: [("environment".to_string(), "production".to_string())].into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(prod.depth, 2);
    let pc = s
        .provision_cidr(&a, &prod.id, AllocationRequest::Explicit(c("10.1.0.0/16")))
        .unwrap();
    assert!(pc.source_allocation_id.is_some());

    let tags = [("environment", "production")];
    let v1 = s
        .allocate(&a, &vpc(&prod.id, AllocationRequest::PoolDefault, &tags))
        .unwrap();
    assert_eq!(v1.cidr, c("10.1.0.0/20"));
    let v2 = s
        .allocate(&a, &vpc(&prod.id, AllocationRequest::Netmask(24), &tags))
        .unwrap();
    assert_eq!(v2.cidr, c("10.1.16.0/24"));

    // Overlap names the conflicting allocation.
    let err = s
        .allocate(
            &a,
            &vpc(
                &prod.id,
                AllocationRequest::Explicit(c("10.1.16.0/22")),
                &tags,
            ),
        )
        .unwrap_err();
    match err {
        Error::Engine(EngineError::Overlap { conflict, .. }) => assert_eq!(conflict.id, v2.id),
        e => panic!("{e}"),
    }
    // Guardrails and tags.
    assert!(matches!(
        s.allocate(&a, &vpc(&prod.id, AllocationRequest::Netmask(26), &tags)),
        Err(Error::Engine(EngineError::SmallerThanAllowed { .. }))
    ));
    assert!(matches!(
        s.allocate(&a, &vpc(&prod.id, AllocationRequest::Netmask(20), &[])),
        Err(Error::Engine(EngineError::MissingTags { .. }))
    ));
    // Outside the pool.
    assert!(matches!(
        s.allocate(
            &a,
            &vpc(
                &prod.id,
                AllocationRequest::Explicit(c("10.2.0.0/20")),
                &tags
            )
        ),
        Err(Error::Engine(EngineError::OutsidePool { .. }))
    ));

    let u = s.utilization(UtilizationTarget::Pool(&prod.id)).unwrap();
    assert_eq!(u.total, 65536);
    assert_eq!(u.allocated, 4096 + 256);
    assert_eq!(u.allocation_count, 2);
    assert_eq!(u.available_blocks.get(&16), Some(&0));

    // Refusals: pool with allocations, cidr with allocations, ipam with pools.
    assert!(matches!(
        s.delete_pool(&a, &prod.id, false),
        Err(Error::PoolInUse { .. })
    ));
    assert!(matches!(
        s.deprovision_cidr(&a, &prod.id, "10.1.0.0/16"),
        Err(Error::Engine(EngineError::HoldsAllocations { .. }))
    ));
    assert!(matches!(
        s.delete_ipam(&a, &ipam.id, false),
        Err(Error::Blocked { .. })
    ));

    s.release(&a, &v1.id).unwrap();
    s.release(&a, &v2.id).unwrap();
    let u = s.utilization(UtilizationTarget::Pool(&prod.id)).unwrap();
    assert_eq!(u.allocated, 0);
    assert_eq!(
        u.available_blocks.get(&16),
        Some(&1),
        "buddies merged back into one /16"
    );
    s.deprovision_cidr(&a, &prod.id, "10.1.0.0/16").unwrap();
    let top_u = s.utilization(UtilizationTarget::Pool(&top.id)).unwrap();
    assert_eq!(
        top_u.allocated, 0,
        "the child's CIDR went back to the parent"
    );
    s.delete_ipam(&a, &ipam.id, true).unwrap();
    assert!(s.get_ipam(&ipam.id).unwrap().is_none());
}

#[test]
fn public_ipv6_pools_draw_from_the_provided_space_and_reservations_are_stable() {
    let (_d, s) = open();
    let a = actor();
    let ipam = s.create_ipam(&a, None, vec![], Tags::new()).unwrap();
    let v6 = s
        .create_pool(
            &a,
            PoolSpec {
                scope_id: ipam.public_default_scope_id.clone(),
                family: Some(ipam::engine::AddressFamily::Ipv6),
                default_len: Some(56),
                ..Default::default()
            },
        )
        .unwrap();
    let pc = s
        .provision_cidr(&a, &v6.id, AllocationRequest::Netmask(52))
        .unwrap();
    assert_eq!(pc.cidr, c("2001:db8::/52"));
    let pc2 = s
        .provision_cidr(&a, &v6.id, AllocationRequest::Netmask(52))
        .unwrap();
    assert_eq!(pc2.cidr, c("2001:db8:0:1000::/52"));

    let mut spec = vpc(&v6.id, AllocationRequest::PoolDefault, &[]);
    spec.name = Some("payments".into());
    let r1 = s.reserve(&a, &spec, 3600).unwrap();
    let r2 = s.reserve(&a, &spec, 3600).unwrap();
    assert_eq!(r1.cidr, r2.cidr);
    let other = s
        .allocate(&a, &vpc(&v6.id, AllocationRequest::PoolDefault, &[]))
        .unwrap();
    assert_ne!(other.cidr, r1.cidr, "a reservation is used space");
    let claimed = s.claim(&a, &spec, r1.cidr).unwrap();
    assert_eq!(claimed.id, r1.id);
    assert!(
        matches!(s.reserve(&a, &spec, 3600), Err(Error::NameTaken { .. })),
        "duplicate name"
    );
    let u = s.utilization(UtilizationTarget::Pool(&v6.id)).unwrap();
    assert_eq!(u.total, 2 * (1u128 << 76));
}

#[test]
fn expired_reservations_return_their_space() {
    let (_d, s) = open();
    let a = actor();
    let ipam = s.create_ipam(&a, None, vec![], Tags::new()).unwrap();
    let p = s
        .create_pool(
            &a,
            PoolSpec {
                scope_id: ipam.private_default_scope_id.clone(),
                default_len: Some(24),
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(&a, &p.id, AllocationRequest::Explicit(c("10.0.0.0/24")))
        .unwrap();
    let mut spec = vpc(&p.id, AllocationRequest::PoolDefault, &[]);
    spec.name = Some("old".into());
    let r = s.reserve(&a, &spec, -1).unwrap();
    assert_eq!(r.cidr, c("10.0.0.0/24"));
    let next = s
        .allocate(&a, &vpc(&p.id, AllocationRequest::PoolDefault, &[]))
        .unwrap();
    assert_eq!(
        next.cidr,
        c("10.0.0.0/24"),
        "the expired reservation's block was reused"
    );
}

#[test]
fn auto_import_adopts_what_the_parent_already_holds() {
    let (_d, s) = open();
    let a = actor();
    let ipam = s.create_ipam(&a, None, vec![], Tags::new()).unwrap();
    let scope = ipam.private_default_scope_id.clone();
    let top = s
        .create_pool(
            &a,
            PoolSpec {
                scope_id: scope.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(&a, &top.id, AllocationRequest::Explicit(c("10.0.0.0/8")))
        .unwrap();
    // A VPC took a block straight from the top pool before the production pool existed.
    let early = s
        .allocate(
            &a,
            &vpc(&top.id, AllocationRequest::Explicit(c("10.1.4.0/24")), &[]),
        )
        .unwrap();
    let strict = s
        .create_pool(
            &a,
            PoolSpec {
                scope_id: scope.clone(),
                parent_id: Some(top.id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    let err = s
        .provision_cidr(
            &a,
            &strict.id,
            AllocationRequest::Explicit(c("10.1.0.0/16")),
        )
        .unwrap_err();
    assert!(err.to_string().contains(&early.id), "{err}");
    s.delete_pool(&a, &strict.id, false).unwrap();
    let prod = s
        .create_pool(
            &a,
            PoolSpec {
                scope_id: scope,
                parent_id: Some(top.id.clone()),
                auto_import: true,
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(&a, &prod.id, AllocationRequest::Explicit(c("10.1.0.0/16")))
        .unwrap();
    let moved = s.get_allocation(&early.id).unwrap().unwrap();
    assert_eq!(moved.pool_id, prod.id);
    assert_eq!(moved.kind, AllocationKind::Imported);
    assert_eq!(moved.cidr, c("10.1.4.0/24"));
    let next = s
        .allocate(&a, &vpc(&prod.id, AllocationRequest::Netmask(22), &[]))
        .unwrap();
    assert_eq!(next.cidr, c("10.1.0.0/22"));
    let after = s
        .allocate(&a, &vpc(&prod.id, AllocationRequest::Netmask(22), &[]))
        .unwrap();
    assert_eq!(
        after.cidr,
        c("10.1.8.0/22"),
        "the imported /24 is used space"
    );
}

/// What a refusal must leave as it was: every allocation and reservation, the audit log, the
/// free index's invariants.
fn snapshot(s: &Store) -> String {
    let allocations: Vec<String> = s
        .all_allocations()
        .unwrap()
        .iter()
        .map(|a| format!("{} {} {:?}", a.id, a.cidr, a.state))
        .collect();
    let audit = s.audit_events(None, 10_000).unwrap().len();
    let faults = s.verify().unwrap().len();
    format!("{allocations:?} audit={audit} faults={faults}")
}

/// A /33 of an IPv4 pool (and a /129 of an IPv6 one, which no attribute's range lets through
/// but the store must refuse on its own) is a typed refusal from every entry point that takes
/// a netmask, never a constraint failure, and changes nothing.
#[test]
fn netmasks_beyond_the_family_are_refused_by_every_entry_point() {
    let (_d, s) = open();
    let a = actor();
    let ipam = s
        .create_ipam(&a, None, vec!["us-east-1".into()], Tags::new())
        .unwrap();
    let scope = ipam.private_default_scope_id.clone();
    let pool = |parent: Option<&str>, family| {
        s.create_pool(
            &a,
            PoolSpec {
                scope_id: scope.clone(),
                parent_id: parent.map(String::from),
                family: Some(family),
                ..Default::default()
            },
        )
        .unwrap()
        .id
    };
    let v4 = pool(None, ipam::engine::AddressFamily::Ipv4);
    s.provision_cidr(&a, &v4, AllocationRequest::Explicit(c("10.0.0.0/24")))
        .unwrap();
    let child = pool(Some(&v4), ipam::engine::AddressFamily::Ipv4);
    let v6 = pool(None, ipam::engine::AddressFamily::Ipv6);
    s.provision_cidr(&a, &v6, AllocationRequest::Explicit(c("fd00::/56")))
        .unwrap();
    let before = snapshot(&s);
    let refused = |what: &str, r: Result<(), Error>, want: u8| match r {
        Err(Error::Engine(EngineError::NetmaskOutOfRange { len, family })) => {
            assert_eq!(len, i64::from(want), "{what}");
            assert!(
                EngineError::NetmaskOutOfRange { len, family }
                    .to_string()
                    .contains(&format!("use 0 to {}", family.bits())),
                "{what}"
            );
        }
        other => panic!("{what}: {other:?}"),
    };
    for (p, len) in [(&v4, 33u8), (&v4, 40), (&v4, 128), (&v6, 129), (&v6, 255)] {
        let netmask = AllocationRequest::Netmask(len);
        let unnamed = vpc(p, netmask.clone(), &[]);
        let named = AllocationSpec {
            name: Some("web".into()),
            ..unnamed.clone()
        };
        refused("allocate", s.allocate(&a, &unnamed).map(|_| ()), len);
        refused("reserve", s.reserve(&a, &named, 60).map(|_| ()), len);
        refused(
            "check_request",
            s.check_request(&a, &unnamed, &[]).map(|_| ()),
            len,
        );
        refused(
            "check_request with pending",
            s.check_request(&a, &unnamed, &[26]).map(|_| ()),
            len,
        );
        refused(
            "preview_next",
            s.preview_next(p, Some(len), &[]).map(|_| ()),
            len,
        );
        let custom = AllocationSpec::new(p.as_str(), netmask.clone(), AllocationKind::Custom);
        refused(
            "custom allocation",
            s.allocate(&a, &custom).map(|_| ()),
            len,
        );
    }
    // A child pool's CIDR by netmask is an allocation in its parent: refused the same way.
    refused(
        "provision_cidr",
        s.provision_cidr(&a, &child, AllocationRequest::Netmask(33))
            .map(|_| ()),
        33,
    );
    refused(
        "check_provision",
        s.check_provision(&a, &child, AllocationRequest::Netmask(33), &[]),
        33,
    );
    assert_eq!(before, snapshot(&s), "a refusal changed the database");
}

/// Five /26s asked of a /24 in one plan: the refusal says four fit; a pool whose rules forbid
/// the blocks still free says so instead of offering a smaller block.
#[test]
fn an_exhausted_pool_says_how_many_fit_and_what_its_rules_allow() {
    let (_d, s) = open();
    let a = actor();
    let ipam = s
        .create_ipam(&a, None, vec!["us-east-1".into()], Tags::new())
        .unwrap();
    let pool = |max_len| {
        s.create_pool(
            &a,
            PoolSpec {
                scope_id: ipam.private_default_scope_id.clone(),
                max_len,
                ..Default::default()
            },
        )
        .unwrap()
        .id
    };
    let p = pool(None);
    s.provision_cidr(&a, &p, AllocationRequest::Explicit(c("10.8.0.0/24")))
        .unwrap();
    let ask = vpc(&p, AllocationRequest::Netmask(26), &[]);
    assert_eq!(s.check_request(&a, &ask, &[26, 26, 26]).unwrap(), 26);
    match s.check_request(&a, &ask, &[26, 26, 26, 26]).unwrap_err() {
        Error::Engine(e @ EngineError::Exhausted { .. }) => {
            let EngineError::Exhausted { fit, pending, .. } = &e else {
                unreachable!()
            };
            assert_eq!((*fit, *pending), (4, 4));
            assert!(
                e.to_string().starts_with(&format!(
                    "the pool {p} has room for 4 of the 5 new allocations from it in this plan"
                )),
                "{e}"
            );
        }
        e => panic!("{e}"),
    }
    // A /23 with a /24 and a /25 taken, then rules that stop at /24: the /25 left is free but
    // not allowed.
    let q = pool(None);
    s.provision_cidr(&a, &q, AllocationRequest::Explicit(c("10.9.0.0/23")))
        .unwrap();
    for taken in ["10.9.0.0/24", "10.9.1.0/25"] {
        s.allocate(&a, &vpc(&q, AllocationRequest::Explicit(c(taken)), &[]))
            .unwrap();
    }
    s.update_pool(
        &a,
        &q,
        ipam::store::PoolUpdate {
            description: None,
            min_len: None,
            max_len: Some(24),
            default_len: None,
            allocation_tags: Tags::new(),
            auto_import: false,
            publicly_advertisable: None,
            tags: Tags::new(),
        },
    )
    .unwrap();
    match s
        .allocate(&a, &vpc(&q, AllocationRequest::Netmask(24), &[]))
        .unwrap_err()
    {
        Error::Engine(EngineError::Exhausted {
            largest_free,
            max_len,
            ..
        }) => {
            assert_eq!(largest_free, vec![c("10.9.1.128/25")]);
            assert_eq!(max_len, Some(24));
        }
        e => panic!("{e}"),
    }
}

/// A plan-time reservation never holds a pool CIDR or a pool: deprovisioning the CIDR and
/// deleting the pool remove it (audited), while an allocation proper still blocks both and is
/// named. The apply of the plan that reserved it then fails saying the reservation is gone.
#[test]
fn reservations_go_with_their_pool_cidr_and_pool() {
    let (_d, s) = open();
    let a = actor();
    let ipam = s
        .create_ipam(&a, None, vec!["us-east-1".into()], Tags::new())
        .unwrap();
    let pool = s
        .create_pool(
            &a,
            PoolSpec {
                scope_id: ipam.private_default_scope_id.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(&a, &pool.id, AllocationRequest::Explicit(c("10.0.0.0/16")))
        .unwrap();
    let named = AllocationSpec {
        name: Some("payments".into()),
        ..vpc(&pool.id, AllocationRequest::Netmask(24), &[])
    };
    let reserved = s.reserve(&a, &named, 86_400).unwrap();
    let held = s
        .allocate(&a, &vpc(&pool.id, AllocationRequest::Netmask(24), &[]))
        .unwrap();
    match s.deprovision_cidr(&a, &pool.id, "10.0.0.0/16") {
        Err(Error::Engine(EngineError::HoldsAllocations { allocations, .. })) => {
            let ids: Vec<_> = allocations.iter().map(|c| c.id.as_str()).collect();
            assert_eq!(ids, [held.id.as_str()], "the reservation does not block");
        }
        other => panic!("expected HoldsAllocations, got {other:?}"),
    }
    match s.delete_pool(&a, &pool.id, false) {
        Err(e @ Error::PoolInUse { .. }) => {
            let m = e.to_string();
            assert!(m.contains(&held.id) && m.contains("10.0.0.0/16"), "{m}");
            assert!(!m.contains(&reserved.id), "{m}");
        }
        other => panic!("expected PoolInUse, got {other:?}"),
    }
    s.release(&a, &held.id).unwrap();
    s.deprovision_cidr(&a, &pool.id, "10.0.0.0/16").unwrap();
    assert!(s.get_allocation(&reserved.id).unwrap().is_none());
    assert!(s
        .audit_events(None, 50)
        .unwrap()
        .iter()
        .any(|e| e.action == "drop-reservation-with-pool-cidr" && e.object_id == reserved.id));
    let e = s.claim(&a, &named, reserved.cidr).unwrap_err().to_string();
    assert!(
        e.contains("the reservation is gone") && e.contains("deprovisioned"),
        "{e}"
    );
    s.delete_pool(&a, &pool.id, false).unwrap();
    assert!(s.verify().unwrap().is_empty());
}

/// A destroy plan notes what it releases (`plan-release`); the same plan's deprovisioning of a
/// pool CIDR then releases those first, a child pool's CIDR with what it holds, instead of
/// waiting for destroys that may have no free slot. Another plan's notes, or an allocation the
/// plan keeps, still block it.
#[test]
fn a_destroy_plan_releases_what_it_noted_before_deprovisioning() {
    let (_d, s) = open();
    let a = actor();
    let ipam = s
        .create_ipam(&a, None, vec!["us-east-1".into()], Tags::new())
        .unwrap();
    let scope = ipam.private_default_scope_id.clone();
    let pool = |parent: Option<&str>| {
        s.create_pool(
            &a,
            PoolSpec {
                scope_id: scope.clone(),
                parent_id: parent.map(String::from),
                ..Default::default()
            },
        )
        .unwrap()
        .id
    };
    let top = pool(None);
    s.provision_cidr(&a, &top, AllocationRequest::Explicit(c("10.0.0.0/16")))
        .unwrap();
    let child = pool(Some(&top));
    let child_cidr = s
        .provision_cidr(&a, &child, AllocationRequest::Netmask(20))
        .unwrap();
    let inner = s
        .allocate(&a, &vpc(&child, AllocationRequest::Netmask(24), &[]))
        .unwrap();
    let outer = s
        .allocate(&a, &vpc(&top, AllocationRequest::Netmask(24), &[]))
        .unwrap();
    let source = child_cidr.source_allocation_id.clone().unwrap();
    for id in [&inner.id, &source] {
        s.note_planned_release(&a, id, "plan-one").unwrap();
    }
    s.note_planned_release(&a, &outer.id, "plan-two").unwrap();
    // `outer` is not this plan's to release: nothing is released.
    match s.deprovision_cidr_planned(&a, &top, "10.0.0.0/16", Some("plan-one")) {
        Err(Error::Engine(EngineError::HoldsAllocations { allocations, .. })) => {
            assert!(
                allocations.iter().any(|h| h.id == outer.id),
                "{allocations:?}"
            )
        }
        other => panic!("expected HoldsAllocations, got {other:?}"),
    }
    assert!(s.get_allocation(&inner.id).unwrap().is_some());
    s.note_planned_release(&a, &outer.id, "plan-one").unwrap();
    s.deprovision_cidr_planned(&a, &top, "10.0.0.0/16", Some("plan-one"))
        .unwrap();
    for id in [&inner.id, &outer.id, &source] {
        assert!(s.get_allocation(id).unwrap().is_none(), "{id} released");
    }
    assert!(
        s.pool_cidrs(&child).unwrap().is_empty(),
        "the child's CIDR went first"
    );
    assert!(s.verify().unwrap().is_empty(), "{:?}", s.verify().unwrap());
    let actions: Vec<String> = s
        .audit_events(None, 50)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions
            .iter()
            .any(|x| x == "release-planned-with-pool-cidr"),
        "{actions:?}"
    );
}

/// The locale rule is core's, not only the plan's: an allocation for another region is
/// refused by the change itself (whoever calls it, bypassing the provider), for a VPC and a
/// reservation alike, and leaves nothing behind; the plan-time check says the same.
#[test]
fn an_allocation_for_another_region_is_refused_by_the_change_itself() {
    let (_dir, s) = open();
    let a = actor();
    let ipam = s
        .create_ipam(
            &a,
            None,
            vec!["us-east-1".into(), "eu-west-1".into()],
            Tags::new(),
        )
        .unwrap();
    let pool = s
        .create_pool(
            &a,
            PoolSpec {
                scope_id: ipam.private_default_scope_id.clone(),
                locale: Some("eu-west-1".into()),
                ..Default::default()
            },
        )
        .unwrap();
    s.provision_cidr(&a, &pool.id, AllocationRequest::Explicit(c("10.0.0.0/16")))
        .unwrap();
    let ask = vpc(&pool.id, AllocationRequest::Netmask(24), &[]);
    let wrong_locale = |r: Result<(), Error>| match r {
        Err(Error::WrongLocale { locale, region, .. }) => {
            assert_eq!(
                (locale.as_str(), region.as_str()),
                ("eu-west-1", "us-east-1")
            )
        }
        other => panic!("expected the locale refusal, got {other:?}"),
    };
    wrong_locale(s.allocate(&a, &ask).map(|_| ()));
    let named = AllocationSpec {
        name: Some("web".into()),
        ..ask.clone()
    };
    wrong_locale(s.reserve(&a, &named, 60).map(|_| ()));
    wrong_locale(s.check_request(&a, &ask, &[]).map(|_| ()));
    assert!(s.list_allocations(&pool.id).unwrap().is_empty());
    // The pool's own region is served.
    let here = Actor::new("111122223333", "eu-west-1");
    s.allocate(&here, &ask).unwrap();
}
