//! The organization resources and `ipam_resource_share`: their lifecycle, and the authority
//! they give: the delegated admin alone changes IPAMs and pools, the management account alone
//! shapes the organization, and an account allocates only from a pool shared with it (directly,
//! through a unit at any depth), refused at plan on `ipam_pool_id` otherwise.

use crate::harness::*;
use tfplug::Value;

const MANAGEMENT: &str = ACCOUNT;
const NETWORKING: &str = "222222222222";
const DEV: &str = "333333333333";
const WEB: &str = "444444444444";
const OUTSIDE: &str = "555555555555";

/// An organization made by the management account: units dev and dev/web, the accounts
/// networking (the delegated admin, at the root), dev (in dev), web (in dev/web) and outside
/// (at the root).
struct Org {
    root: String,
    dev_ou: Value,
}

fn organization(tf: &Tf) -> Org {
    let org = tf.create("ipam_organization", &obj(&[]));
    let root = get(&org, "root_id");
    let dev_ou = tf.create(
        "ipam_organizational_unit",
        &obj(&[("name", s("dev")), ("parent_id", s(&root))]),
    );
    let web_ou = tf.create(
        "ipam_organizational_unit",
        &obj(&[
            ("name", s("dev-web")),
            ("parent_id", s(&get(&dev_ou, "id"))),
        ]),
    );
    for (account, parent) in [
        (NETWORKING, root.clone()),
        (DEV, get(&dev_ou, "id")),
        (WEB, get(&web_ou, "id")),
        (OUTSIDE, root.clone()),
    ] {
        tf.create(
            "ipam_organization_account",
            &obj(&[
                ("account_id", s(account)),
                ("name", s(account)),
                ("parent_id", s(&parent)),
            ]),
        );
    }
    tf.create(
        "ipam_organization_admin_account",
        &obj(&[("delegated_admin_account_id", s(NETWORKING))]),
    );
    Org { root, dev_ou }
}

#[test]
fn organization_resources_lifecycle() {
    let db = Db::new();
    let tf = db.provider();
    let org = tf.create("ipam_organization", &obj(&[]));
    let id = get(&org, "id");
    let root = get(&org, "root_id");
    assert!(id.starts_with("o-") && id.len() == 12, "{id}");
    assert!(root.starts_with("r-") && root.len() == 6, "{root}");
    assert_eq!(get(&org, "management_account_id"), MANAGEMENT);
    tf.assert_no_changes("ipam_organization", &org, &obj(&[]));
    db.provider()
        .assert_imports("ipam_organization", &id, &org, &obj(&[]));

    let ou = |name: &str| obj(&[("name", s(name)), ("parent_id", s(&root))]);
    let unit = tf.create("ipam_organizational_unit", &ou("dev"));
    let unit_id = get(&unit, "id");
    assert!(
        unit_id.starts_with(&format!("ou-{}-", &root[2..])),
        "{unit_id}"
    );
    assert!(get(&unit, "arn").ends_with(&unit_id));
    tf.assert_no_changes("ipam_organizational_unit", &unit, &ou("dev"));
    let unit = tf.update("ipam_organizational_unit", &unit, &ou("development"));
    tf.assert_no_changes("ipam_organizational_unit", &unit, &ou("development"));
    db.provider().assert_imports(
        "ipam_organizational_unit",
        &unit_id,
        &unit,
        &ou("development"),
    );

    let acct = |name: &str, parent: &str| {
        obj(&[
            ("account_id", s(DEV)),
            ("name", s(name)),
            ("parent_id", s(parent)),
        ])
    };
    let account = tf.create("ipam_organization_account", &acct("dev", &root));
    tf.assert_no_changes("ipam_organization_account", &account, &acct("dev", &root));
    // Renamed and moved into the unit, in place.
    let account = tf.update(
        "ipam_organization_account",
        &account,
        &acct("team dev", &unit_id),
    );
    assert_eq!(get(&account, "parent_id"), unit_id);
    tf.assert_no_changes(
        "ipam_organization_account",
        &account,
        &acct("team dev", &unit_id),
    );
    db.provider().assert_imports(
        "ipam_organization_account",
        DEV,
        &account,
        &acct("team dev", &unit_id),
    );
    tf.validate(
        "ipam_organization_account",
        &acct("x", &root).tap(|v| v.set_attr("account_id", s("12"))),
    )
    .error_on("account_id", &["\"12\""]);

    let admin_config = obj(&[("delegated_admin_account_id", s(DEV))]);
    let admin = tf.create("ipam_organization_admin_account", &admin_config);
    assert_eq!(get(&admin, "id"), DEV);
    tf.assert_no_changes("ipam_organization_admin_account", &admin, &admin_config);
    db.provider().assert_imports(
        "ipam_organization_admin_account",
        DEV,
        &admin,
        &admin_config,
    );

    tf.destroy("ipam_organization_admin_account", &admin);
    tf.destroy("ipam_organization_account", &account);
    tf.destroy("ipam_organizational_unit", &unit);
    tf.destroy("ipam_organization", &org);
}

/// `Value::set_attr` in an expression.
trait Tap {
    fn tap(self, f: impl FnOnce(&mut Self)) -> Self;
}

impl Tap for Value {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}

#[test]
fn resource_share_lifecycle_and_what_it_allows() {
    let db = Db::new();
    let mgmt = db.provider();
    let org = organization(&mgmt);
    let dev_ou = get(&org.dev_ou, "id");

    // The delegated admin builds the IPAM and a pool; the management account no longer may.
    let net = db.provider_as(NETWORKING);
    let ipam = net.create(
        "ipam",
        &obj(&[("operating_regions", regions(&["us-east-1"]))]),
    );
    let scope = get(&ipam, "private_default_scope_id");
    let pool_config = |d: &str| {
        obj(&[
            ("ipam_scope_id", s(&scope)),
            ("address_family", s("ipv4")),
            ("locale", s("us-east-1")),
            ("description", s(d)),
        ])
    };
    mgmt.plan("ipam_pool", &Value::Null, &pool_config("dev"))
        .unwrap_err()
        .error_on(
            "",
            &[
                &format!("The account {MANAGEMENT} may not change this ipam_pool"),
                &format!("only its IPAM admin account {NETWORKING} may"),
            ],
        );
    let pool = net.create("ipam_pool", &pool_config("dev"));
    let pool_id = get(&pool, "id");
    net.create(
        "ipam_pool_cidr",
        &obj(&[("ipam_pool_id", s(&pool_id)), ("cidr", s("10.1.0.0/16"))]),
    );

    // Ids here; ARNs name the same things (below).
    let share_config = |name: &str| {
        obj(&[
            ("name", s(name)),
            ("resource_arns", strings(&[&pool_id])),
            ("principals", strings(&[&dev_ou])),
        ])
    };
    let share = net.create("ipam_resource_share", &share_config("dev-pool"));
    let share_id = get(&share, "id");
    assert!(get(&share, "arn").ends_with(&share_id), "{share:?}");
    net.assert_no_changes("ipam_resource_share", &share, &share_config("dev-pool"));
    let share = net.update("ipam_resource_share", &share, &share_config("dev pool"));
    net.assert_no_changes("ipam_resource_share", &share, &share_config("dev pool"));
    db.provider_as(NETWORKING).assert_imports(
        "ipam_resource_share",
        &share_id,
        &share,
        &share_config("dev pool"),
    );
    // The same share written with ARNs, as the AWS provider's examples do, is no replacement.
    let by_arns = obj(&[
        ("name", s("dev pool")),
        ("resource_arns", strings(&[&get(&pool, "arn")])),
        ("principals", strings(&[&get(&org.dev_ou, "arn")])),
    ]);
    let planned = net.plan("ipam_resource_share", &share, &by_arns).unwrap();
    assert!(planned.replace.is_empty(), "{planned:?}");
    assert_eq!(get(&planned.state, "id"), share_id);

    // What each account may use: the pools shared with it, and the pool's shares.
    let web = db.provider_as(WEB);
    let (mine, _) = web
        .data("ipam_pools", &obj(&[("shared_with_me", Value::bool(true))]))
        .unwrap();
    let ids: Vec<String> = mine
        .get("ipam_pools")
        .and_then(Value::as_list)
        .unwrap()
        .iter()
        .map(|p| get(p, "id"))
        .collect();
    assert_eq!(ids, std::slice::from_ref(&pool_id));
    let (seen, _) = web.data("ipam_pool", &obj(&[("id", s(&pool_id))])).unwrap();
    let shares = seen.get("shares").and_then(Value::as_list).unwrap();
    assert_eq!(get(&shares[0], "id"), share_id);
    assert_eq!(
        shares[0].get("principals"),
        Some(&Value::list([s(&dev_ou)]))
    );
    // Nothing shared: an empty list, not null.
    let (none, _) = db
        .provider_as(OUTSIDE)
        .data("ipam_pools", &obj(&[("shared_with_me", Value::bool(true))]))
        .unwrap();
    assert_eq!(none.get("ipam_pools"), Some(&Value::list([])));

    // Accounts in the unit, and in a unit inside it, allocate; the account outside may not.
    let vpc = obj(&[("ipam_pool_id", s(&pool_id)), ("netmask_length", n(24))]);
    let dev = db.provider_as(DEV);
    let app = dev.create("ipam_vpc_allocation", &vpc);
    assert_eq!(get(&app, "owner_id"), DEV);
    db.provider_as(WEB).create("ipam_vpc_allocation", &vpc);
    let outside = db.provider_as(OUTSIDE);
    outside
        .plan("ipam_vpc_allocation", &Value::Null, &vpc)
        .unwrap_err()
        .error_on(
            "ipam_pool_id",
            &[
                "The pool is not shared with this account",
                &format!("the account {OUTSIDE} may not allocate from the pool {pool_id}"),
                &share_id,
                &dev_ou,
            ],
        );
    outside
        .plan(
            "ipam_pool_cidr_allocation",
            &Value::Null,
            &obj(&[("ipam_pool_id", s(&pool_id)), ("netmask_length", n(28))]),
        )
        .unwrap_err()
        .error_on(
            "ipam_pool_id",
            &["The pool is not shared with this account"],
        );
    // Nor may a member change the pool.
    dev.plan("ipam_pool", &pool, &pool_config("mine now"))
        .unwrap_err()
        .error_on(
            "",
            &[&format!("The account {DEV} may not change this ipam_pool")],
        );
    // Only the management account shapes the organization, even for the IPAM admin.
    net.plan(
        "ipam_organizational_unit",
        &Value::Null,
        &obj(&[("name", s("mine")), ("parent_id", s(&dev_ou))]),
    )
    .unwrap_err()
    .error_on(
        "",
        &[
            &format!("The account {NETWORKING} may not change this ipam_organizational_unit"),
            &format!("only its management account {MANAGEMENT} may"),
        ],
    );

    // Removing the share keeps the allocations made through it and refuses new ones.
    net.destroy("ipam_resource_share", &share);
    dev.assert_no_changes("ipam_vpc_allocation", &app, &vpc);
    db.provider_as(DEV)
        .plan("ipam_vpc_allocation", &Value::Null, &vpc)
        .unwrap_err()
        .error_on(
            "ipam_pool_id",
            &[
                &format!("the account {DEV} may not allocate from the pool {pool_id}"),
                "the pool is not shared with anyone",
            ],
        );
    let _ = org.root;
}
