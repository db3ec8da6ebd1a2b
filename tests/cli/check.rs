//! `terraform-provider-ipam check --threshold`: the 80% alarm. Exit codes (0 none above, 1 some
//! above, 2 bad input, 3 cannot read the database), the table, `--json`, `--help`, and bad flags named. Also what the
//! store's utilization history records for the dashboard's chart.

use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, PoolSpec, Store, Tags};
use std::process::{Command, Output};

fn actor() -> Actor {
    Actor::new("111122223333", "us-east-1")
}

fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

/// A database with two top-level pools: `hot` (a /24, 87.5% used) and `cool` (a /16, one /24).
fn database() -> (tempfile::TempDir, std::path::PathBuf, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ipam.db");
    let s = Store::open(&path, c("2001:db8::/32")).unwrap();
    let a = actor();
    let ipam = s.create_ipam(&a, None, vec![], Tags::new()).unwrap();
    let mut ids = Vec::new();
    for (desc, cidr, lens) in [
        ("hot \"edge\"", "192.168.0.0/24", vec![25u8, 26, 27, 28]),
        ("cool", "10.0.0.0/16", vec![24]),
    ] {
        let p = s
            .create_pool(
                &a,
                PoolSpec {
                    scope_id: ipam.private_default_scope_id.clone(),
                    description: Some(desc.into()),
                    ..Default::default()
                },
            )
            .unwrap();
        s.provision_cidr(&a, &p.id, AllocationRequest::Explicit(c(cidr)))
            .unwrap();
        for len in lens {
            s.allocate(
                &a,
                &AllocationSpec::new(
                    p.id.clone(),
                    AllocationRequest::Netmask(len),
                    AllocationKind::Vpc,
                ),
            )
            .unwrap();
        }
        ids.push(p.id);
    }
    let cool = ids.pop().unwrap();
    let hot = ids.pop().unwrap();
    (dir, path, hot, cool)
}

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
        .arg("check")
        .args(args)
        .env_remove("IPAM_DATABASE")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn pools_above_the_threshold_fail_the_check() {
    let (_d, db, hot, cool) = database();
    let db = db.to_str().unwrap();
    let out = check(&["--threshold", "80", "--database", db]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("POOL") && lines[0].contains("UTILIZATION"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with(&hot) && lines[1].contains("93.75%"),
        "{stdout}"
    );
    assert!(lines[1].contains("240 of 256"), "{stdout}");
    assert!(!stdout.contains(&cool), "{stdout}");
    assert!(
        stdout.contains("ALARM: 1 of 2 pool(s) above 80%"),
        "{stdout}"
    );

    // Below everything: exit 0, and it says so.
    let out = check(&["--database", db, "--threshold", "95"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("OK: none of 2 pool(s) is above 95%"));

    // A low threshold catches both, the fuller first.
    let out = check(&["--database", db, "--threshold", "0.3"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out.stdout);
    assert!(s.find(&hot).unwrap() < s.find(&cool).unwrap(), "{s}");
}

#[test]
fn json_for_machines() {
    let (_d, db, hot, _) = database();
    let out = check(&[
        "--threshold",
        "80",
        "--json",
        "--database",
        db.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["pools_checked"], 2);
    let above = v["pools_above"].as_array().unwrap();
    assert_eq!(above.len(), 1);
    assert_eq!(above[0]["pool_id"], hot);
    assert_eq!(above[0]["allocated_addresses"], "240");
    assert_eq!(above[0]["total_addresses"], "256");
    assert_eq!(above[0]["utilization_percent"], 93.75);
    assert_eq!(above[0]["description"], "hot \"edge\"");
}

#[test]
fn help_and_bad_input() {
    let out = check(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("Usage: terraform-provider-ipam check"));
    assert!(out.stderr.is_empty());

    for (args, needle) in [
        (vec![], "--threshold is required"),
        (vec!["--threshold", "eighty"], "--threshold \"eighty\""),
        (vec!["--threshold", "180"], "from 0 to 100"),
        (vec!["--threshold"], "--threshold needs a value"),
        (vec!["--threshold", "80", "--color"], "unknown flag --color"),
        (
            vec!["--threshold", "80", "--database", "/nonexistent/ipam.db"],
            "no database at /nonexistent/ipam.db",
        ),
    ] {
        let out = check(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_database_is_checked_without_being_written() {
    let (_d, db, _, _) = database();
    let before = std::fs::read(&db).unwrap();
    let wal = db.with_extension("db-wal");
    let wal_before = std::fs::read(&wal).unwrap_or_default();
    let out = check(&["--threshold", "50", "--database", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(before, std::fs::read(&db).unwrap());
    assert_eq!(wal_before, std::fs::read(&wal).unwrap_or_default());
}

#[test]
fn every_change_records_the_pools_counts() {
    let (_d, db, hot, cool) = database();
    let s = Store::open_read_only(&db, c("2001:db8::/32")).unwrap();
    let (hot_h, cool_h) = s
        .view(|v| Ok((v.history(&hot, 100)?, v.history(&cool, 100)?)))
        .unwrap();
    // All changes of a test fall within a second or two: the last point is the present.
    let last = hot_h.last().expect("history of hot");
    assert_eq!((last.allocated, last.total), (240, 256));
    let last = cool_h.last().expect("history of cool");
    assert_eq!((last.allocated, last.total), (256, 65536));
    assert!(hot_h.windows(2).all(|w| w[0].at < w[1].at));
}

fn serve(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
        .arg("serve")
        .args(args)
        .env_remove("IPAM_DATABASE")
        .output()
        .unwrap()
}

#[test]
fn serve_help_and_bad_flags() {
    let out = serve(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("Usage: terraform-provider-ipam serve"));
    let (_d, db, _, _) = database();
    let db = db.to_str().unwrap();
    // The command line is wrong: exit 2, the flag or value named.
    for (args, needle) in [
        (vec!["--listen", "localhost"], "--listen \"localhost\""),
        (vec!["--listen"], "--listen needs a value"),
        (vec!["--port", "80"], "unknown flag --port"),
        (vec!["--json"], "unknown flag --json"),
    ] {
        let args = [vec!["--database", db], args].concat();
        let out = serve(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(
            err.contains("Usage: terraform-provider-ipam serve"),
            "{err}"
        );
    }
    // No database: bad input (2); a server it cannot reach: it cannot work (3).
    for (db, needle, code) in [
        (
            "/nonexistent/ipam.db",
            "no database at /nonexistent/ipam.db",
            2,
        ),
        (
            "postgres://db/ipam",
            "cannot connect to postgres://db/ipam",
            3,
        ),
    ] {
        let out = serve(&["--database", db]);
        assert_eq!(out.status.code(), Some(code), "{db}");
        let err = text(&out.stderr);
        assert!(err.contains(needle), "{db}: {err}");
    }
    // A file that is not an IPAM database is bad input, and left as it was.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.db");
    for (content, needle) in [
        (&b""[..], "is an empty file, not a database"),
        (
            &b"not sqlite at all, but long enough to be read as a header"[..],
            "not an IPAM database",
        ),
    ] {
        std::fs::write(&other, content).unwrap();
        let out = serve(&["--database", other.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains(needle), "{}", text(&out.stderr));
        assert_eq!(std::fs::read(&other).unwrap(), content);
    }
}

#[test]
fn a_database_from_before_the_history_is_read_as_it_is() {
    let (_d, db, hot, _) = database();
    let conn = ipam_db::drivers::rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "DROP TABLE utilization_history; DELETE FROM schema_version WHERE version > 2;",
    )
    .unwrap();
    drop(conn);
    let s = Store::open_read_only(&db, c("2001:db8::/32")).unwrap();
    let history = s.view(|v| v.history(&hot, 10)).unwrap();
    assert!(history.is_empty());
    drop(s);
    let out = check(&["--threshold", "80", "--database", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // Still not migrated: reading never writes.
    let conn = ipam_db::drivers::rusqlite::Connection::open(&db).unwrap();
    let v: i64 = conn
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 2);
}

#[test]
fn a_database_of_a_newer_schema_is_refused() {
    let (_d, db, _, _) = database();
    let conn = ipam_db::drivers::rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("INSERT INTO schema_version VALUES (999);")
        .unwrap();
    drop(conn);
    let out = check(&["--threshold", "80", "--database", db.to_str().unwrap()]);
    // A database it cannot read: exit 3, not the alarm (1) nor bad input (2).
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(
        err.contains("has schema version 999, newer than the version"),
        "{err}"
    );
}

/// A parent pool (a /16) carved whole into one child pool, the child a quarter used, beside the
/// `hot` and `cool` pools of [`database`]. Returns the database and (parent, child, hot) ids.
fn carved() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    String,
    String,
    String,
) {
    let (dir, path, hot, _cool) = database();
    let s = Store::open(&path, c("2001:db8::/32")).unwrap();
    let a = actor();
    let scope = s.get_pool(&hot).unwrap().unwrap().scope_id;
    let pool = |parent: Option<&str>, desc: &str| {
        s.create_pool(
            &a,
            PoolSpec {
                scope_id: scope.clone(),
                parent_id: parent.map(str::to_string),
                description: Some(desc.into()),
                ..Default::default()
            },
        )
        .unwrap()
        .id
    };
    let parent = pool(None, "region");
    s.provision_cidr(&a, &parent, AllocationRequest::Explicit(c("172.16.0.0/16")))
        .unwrap();
    let child = pool(Some(&parent), "subnets");
    s.provision_cidr(&a, &child, AllocationRequest::Explicit(c("172.16.0.0/16")))
        .unwrap();
    s.allocate(
        &a,
        &AllocationSpec::new(
            child.clone(),
            AllocationRequest::Netmask(18),
            AllocationKind::Vpc,
        ),
    )
    .unwrap();
    (dir, path, parent, child, hot)
}

/// The pool ids a check's JSON lists above the threshold, with their `leaf` flags, and how
/// many pools it checked.
fn above(out: &Output) -> (Vec<(String, bool)>, u64) {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let listed = v["pools_above"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["pool_id"].as_str().unwrap().to_string(),
                p["leaf"].as_bool().expect("a leaf flag"),
            )
        })
        .collect();
    (listed, v["pools_checked"].as_u64().unwrap())
}

/// A parent carved whole into a child pool reads as full: without a selection it alarms (as
/// before), with `--leaves-only` it is not looked at, and `--pool` checks only the pools named.
#[test]
fn leaves_only_and_named_pools() {
    let (_d, db, parent, child, hot) = carved();
    let db = db.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["--threshold", "80", "--json", "--database", db];
        args.extend_from_slice(extra);
        check(&args)
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let (listed, checked) = above(&out);
    assert_eq!(checked, 4);
    assert!(listed.contains(&(parent.clone(), false)), "{listed:?}");
    assert!(listed.contains(&(hot.clone(), true)), "{listed:?}");

    let out = run(&["--leaves-only"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let (listed, checked) = above(&out);
    assert_eq!((listed, checked), (vec![(hot.clone(), true)], 3));

    // Only the carved parent and its child: the parent alarms, unless leaves only.
    let out = run(&["--pool", &parent, "--pool", &child]);
    assert_eq!(out.status.code(), Some(1));
    let (listed, checked) = above(&out);
    assert_eq!((listed, checked), (vec![(parent.clone(), false)], 2));
    let out = run(&["--pool", &parent, "--pool", &child, "--leaves-only"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(above(&out), (vec![], 1));
    let out = check(&[
        "--threshold",
        "80",
        "--database",
        db,
        "--pool",
        &child,
        "--leaves-only",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("OK: none of 1 pool(s) is above 80% utilization"),
        "{}",
        text(&out.stdout)
    );

    // A pool the database does not hold, or no id at all: bad input, exit 2, nothing printed.
    for bad in [
        vec!["--pool", "ipam-pool-00000000000000000"],
        vec!["--pool", ""],
        vec!["--pool"],
    ] {
        let out = run(&bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(out.stdout.is_empty(), "{bad:?}");
        assert!(
            text(&out.stderr).contains("--pool"),
            "{}",
            text(&out.stderr)
        );
    }
    let help = text(&check(&["--help"]).stdout);
    assert!(
        help.contains("--leaves-only") && help.contains("--pool ID"),
        "{help}"
    );
}

/// `/metrics` labels each pool a leaf or not, and the example alert rule selects leaves.
#[test]
fn metrics_say_which_pools_are_leaves() {
    let (_d, db, parent, child, _) = carved();
    let out = Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database"])
        .arg(&db)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut child_proc = out;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child_proc.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    std::io::Write::write_all(
        &mut s,
        format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut body = String::new();
    std::io::Read::read_to_string(&mut s, &mut body).unwrap();
    let _ = child_proc.kill();
    let _ = child_proc.wait();
    let ratio = |pool: &str| {
        body.lines()
            .find(|l| {
                l.starts_with("ipam_pool_utilization_ratio{")
                    && l.contains(&format!("pool_id=\"{pool}\""))
            })
            .unwrap_or_else(|| panic!("{pool}: {body}"))
            .to_string()
    };
    assert!(
        ratio(&parent).contains("leaf=\"false\""),
        "{}",
        ratio(&parent)
    );
    assert!(ratio(&child).contains("leaf=\"true\""), "{}", ratio(&child));
    let rules = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/monitoring/alerts.yml"),
    )
    .unwrap();
    assert!(
        rules.contains("ipam_pool_utilization_ratio{leaf=\"true\"} > 0.8"),
        "{rules}"
    );
}
