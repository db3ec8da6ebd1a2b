//! PostgreSQL under real Terraform, whatever `IPAM_TEST_BACKEND` says: many configuration
//! directories applying at once into one pool (overlaps counted by the server itself), and the
//! faults a shared server brings: a connection dropped mid-apply, a read-only database, a
//! server that cannot be reached.

// test-backends: own (PostgreSQL only, on its own server)

use crate::support::{self, serve};

use crate::support::{apply_all, pg, Tf, Workspace};

/// A workspace on a new database of the test server.
fn pg_workspace() -> Workspace {
    let mut w = Workspace::new(Tf::V1_15);
    w.db = std::path::PathBuf::from(pg::cluster().new_database());
    w
}

fn sibling(w: &Workspace) -> Workspace {
    let mut t = w.sibling();
    t.db = w.db.clone();
    t
}

fn url(w: &Workspace) -> String {
    w.db.display().to_string()
}

/// Pairs of allocations in one pool whose blocks overlap, as the server computes it.
fn overlaps(w: &Workspace) -> i64 {
    let mut c =
        ipam_db::drivers::postgres::Client::connect(&url(w), ipam_db::drivers::postgres::NoTls)
            .unwrap();
    c.query_one(
        "SELECT COUNT(*) FROM allocations a JOIN allocations b
           ON a.pool_id = b.pool_id AND a.id < b.id AND a.net && b.net",
        &[],
    )
    .unwrap()
    .get(0)
}

fn count(w: &Workspace, sql: &str) -> i64 {
    let mut c =
        ipam_db::drivers::postgres::Client::connect(&url(w), ipam_db::drivers::postgres::NoTls)
            .unwrap();
    c.query_one(sql, &[]).unwrap().get(0)
}

fn team_config(pool: &str, i: usize, n: usize) -> String {
    format!(
        "resource \"ipam_vpc_allocation\" \"vpc\" {{\n  count          = {n}\n  ipam_pool_id   = \"{pool}\"\n  netmask_length = 24\n  description    = \"team {i}\"\n  tags = {{\n    environment = \"production\"\n  }}\n}}\n"
    )
}

#[test]
fn eight_directories_apply_25_allocations_each_at_once_without_overlap() {
    let w = pg_workspace();
    let pool = w.platform();
    let teams: Vec<Workspace> = (0..8)
        .map(|i| {
            let t = sibling(&w);
            t.config(&team_config(&pool, i, 25));
            t.init();
            t
        })
        .collect();
    for (i, out) in apply_all(&teams).into_iter().enumerate() {
        assert!(
            out.status.success(),
            "team {i} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        count(
            &w,
            "SELECT COUNT(*) FROM allocations WHERE description LIKE 'team %'"
        ),
        200
    );
    assert_eq!(overlaps(&w), 0);
    for t in &teams {
        t.assert_no_changes();
    }
    // The store's own self-check agrees: free index and allocations are consistent.
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
        .args(["verify", "--database", &url(&w)])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[test]
fn the_exclusion_constraint_refuses_an_overlap_whatever_the_code_does() {
    let w = pg_workspace();
    let pool = w.platform();
    let t = sibling(&w);
    t.config(&team_config(&pool, 0, 1));
    t.init();
    t.apply().ok();
    let mut c =
        ipam_db::drivers::postgres::Client::connect(&url(&w), ipam_db::drivers::postgres::NoTls)
            .unwrap();
    // A row a buggy writer might insert: the same block again under another id.
    let e = c
        .execute(
            "INSERT INTO allocations (id, pool_id, cidr, start, len, kind, state, tags, owner_id, region, created_at)
             SELECT id || 'x', pool_id, cidr, start || '\\x00'::bytea, len, kind, state, tags, owner_id, region, created_at
             FROM allocations WHERE description = 'team 0'",
            &[],
        )
        .unwrap_err();
    assert_eq!(e.code().map(|c| c.code()), Some("23P01"), "{e}");
}

#[test]
fn a_connection_dropped_mid_apply_fails_cleanly_and_the_next_apply_converges() {
    let w = pg_workspace();
    let pool = w.platform();
    let t = sibling(&w);
    t.config(&team_config(&pool, 1, 40));
    t.init();
    let child = t
        .apply_command(2)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Drop every provider connection as soon as some allocations exist.
    let mut admin = pg::cluster().admin("postgres");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut killed = 0;
    while killed == 0 && std::time::Instant::now() < deadline {
        if count(
            &t,
            "SELECT COUNT(*) FROM allocations WHERE description = 'team 1'",
        ) >= 5
        {
            // Only this test's database: the other tests' providers share the server.
            let db = pg::database_name(&url(&t));
            killed = admin
                .query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE application_name = 'terraform-provider-ipam' AND datname = $1",
                    &[&db],
                )
                .unwrap()
                .len();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(killed > 0, "no provider connection to drop");
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        assert!(
            text.contains("connection to the database server was lost"),
            "{text}"
        );
    }
    // Nothing half-written: the next apply converges, the plan after is empty, no overlaps.
    t.apply().ok();
    t.assert_no_changes();
    assert_eq!(overlaps(&t), 0);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM allocations WHERE description = 'team 1'"
        ),
        40
    );
}

#[test]
fn a_read_only_database_refuses_changes_with_a_diagnostic_and_still_plans() {
    let w = pg_workspace();
    let pool = w.platform();
    let name = pg::database_name(&url(&w));
    pg::cluster()
        .admin("postgres")
        .batch_execute(&format!(
            "ALTER DATABASE {name} SET default_transaction_read_only = on"
        ))
        .unwrap();
    w.assert_no_changes();
    let before = pg::dump(&url(&w));
    let t = sibling(&w);
    t.config(&team_config(&pool, 2, 2));
    t.init();
    t.apply().fails_with("read-only");
    assert_eq!(before, pg::dump(&url(&w)), "the database changed");
}

#[test]
fn an_unreachable_server_and_a_missing_database_are_diagnostics_on_database() {
    let w = Workspace::new(Tf::V1_15);
    for (db, needle) in [
        (
            "postgres://ipam:secret@127.0.0.1:1/ipam?connect_timeout=3".to_string(),
            "cannot connect to postgres://ipam:***@127.0.0.1:1/ipam",
        ),
        (
            pg::cluster().url("no_such_db"),
            "the database does not exist",
        ),
        (
            "postgres://u@h/db?sslmode=sometimes".to_string(),
            "sslmode=sometimes is not one of",
        ),
    ] {
        w.write(
            "main.tf",
            &format!(
                "terraform {{\n  required_providers {{\n    ipam = {{\n      source  = \"{}\"\n      version = \"{}\"\n    }}\n  }}\n}}\n\nprovider \"ipam\" {{\n  database = \"{db}\"\n}}\n\ndata \"ipam_pool_allocations\" \"x\" {{\n  ipam_pool_id = \"ipam-pool-00000000000000000\"\n}}\n",
                support::SOURCE,
                support::VERSION
            ),
        );
        w.init();
        let text = support::flatten(&w.plan().text());
        let at = text.find(needle).unwrap_or_else(|| panic!("{db}: {text}"));
        // Terraform quotes the configuration line; the provider's own words hide the password.
        assert!(
            !text[at..].contains("secret"),
            "the password is shown: {text}"
        );
    }
}

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
        .args(args)
        .env_remove("IPAM_DATABASE")
        .output()
        .unwrap()
}

/// The first allocation id in `allocations` output.
fn first_allocation_id(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    text.split_whitespace()
        .find(|w| w.starts_with("ipam-pool-alloc-"))
        .expect("an allocation id")
        .to_string()
}

#[test]
fn a_sqlite_ipam_migrated_to_postgres_plans_empty_and_keeps_working() {
    // Built on SQLite, whatever this run's backend.
    let mut w = Workspace::new(Tf::V1_15);
    w.db = w.path().join("ipam.db");
    let pool = w.platform();
    let mut t = w.sibling();
    t.db = w.db.clone();
    t.config(&team_config(&pool, 3, 3));
    t.init();
    t.apply().ok();
    let sqlite = w.db.display().to_string();
    let target = pg::cluster().new_database();
    // Passwords in the user part and the query string (the test server ignores them): the
    // retired file names the URL without them.
    let with_passwords = target.replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1)
        + "&password=hunter2";
    let out = cli(&[
        "migrate",
        "--database",
        &sqlite,
        "--to",
        &with_passwords,
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The production pool's CIDR in its parent, and the team's three.
    assert_eq!(report["copied"]["allocations"], 4, "{report}");
    // The file is retired: a configuration still pointing at it plans (reads) as before, but
    // a change fails naming where the database moved, and so does every writing command.
    let moved = ipam_db::redact(&with_passwords);
    assert!(moved.contains("postgres:***@"), "{moved}");
    t.assert_no_changes();
    let file_before = std::fs::read(&w.db).unwrap();
    t.config(&team_config(&pool, 3, 4));
    let r = t.apply();
    assert_ne!(
        r.code,
        0,
        "a write to the migrated file succeeded:\n{}",
        r.text()
    );
    let text = support::flatten(&r.text());
    assert!(text.contains(&moved) && text.contains("migrated"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    t.config(&team_config(&pool, 3, 3));
    t.assert_no_changes();
    let listed = cli(&["allocations", "--database", &sqlite]);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let some_id = first_allocation_id(&listed.stdout);
    let release = cli(&["release", "--database", &sqlite, "--force", &some_id]);
    assert_eq!(release.status.code(), Some(3));
    let err = String::from_utf8_lossy(&release.stderr);
    assert!(err.contains(&moved) && !err.contains("hunter2"), "{err}");
    // A second copy of the file (into the same database or another) is refused too, and
    // changes nothing.
    let before = pg::dump(&target);
    let again = cli(&["migrate", "--database", &sqlite, "--to", &target]);
    assert_eq!(
        again.status.code(),
        Some(3),
        "a retired file cannot be written, as a read-only one"
    );
    assert!(
        String::from_utf8_lossy(&again.stderr).contains(&moved),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(before, pg::dump(&target));
    assert_eq!(
        file_before,
        std::fs::read(&w.db).unwrap(),
        "the file was written"
    );
    // Both configurations now point at PostgreSQL: nothing to change.
    w.db = std::path::PathBuf::from(&target);
    w.config(support::PLATFORM);
    w.assert_no_changes();
    t.db = w.db.clone();
    t.config(&team_config(&pool, 3, 3));
    t.assert_no_changes();
    // And it goes on: one more allocation, audited after the copied events.
    t.config(&team_config(&pool, 3, 4));
    t.apply().ok();
    assert_eq!(overlaps(&t), 0);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM allocations WHERE description = 'team 3'"
        ),
        4
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(DISTINCT seq) - COUNT(*) FROM audit_events"
        ),
        0
    );
    let out = cli(&["verify", "--database", &target]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn every_cli_command_reads_and_changes_a_postgres_ipam() {
    let w = pg_workspace();
    let pool = w.platform();
    let t = sibling(&w);
    t.config(&team_config(&pool, 4, 2));
    t.init();
    t.apply().ok();
    let db = url(&w);
    let ok = |args: &[&str]| {
        let out = cli(args);
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&["allocations", "--database", &db, "--json"])).unwrap();
    let text = listed.to_string();
    let ids: Vec<String> = t.state()["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["values"]["id"].as_str().unwrap().to_string())
        .collect();
    for id in &ids {
        assert!(text.contains(id.as_str()), "{id} not in {text}");
    }
    assert!(ok(&["audit", "--database", &db]).contains("allocate-cidr"));
    ok(&["verify", "--database", &db]);
    // The dashboard's check opens the server read-only.
    ok(&["check", "--database", &db, "--threshold", "99"]);
    let state = t.path().join("terraform.tfstate");
    let orphans = ok(&[
        "orphans",
        "--database",
        &db,
        "--state",
        state.to_str().unwrap(),
        "--dir",
        t.path().to_str().unwrap(),
        "--json",
    ]);
    assert!(!orphans.contains(&ids[0]), "{orphans}");
    // Releasing one outside Terraform: the next plan makes it again.
    ok(&["release", "--database", &db, &ids[0], "--force"]);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM allocations WHERE description = 'team 4'"
        ),
        1
    );
    let plan = t.plan();
    assert_eq!(
        plan.code,
        2,
        "a plan with one change expected:\n{}",
        plan.text()
    );
    assert!(plan.text().contains("1 to add"), "{}", plan.text());
    t.apply().ok();
    t.assert_no_changes();
}

#[test]
fn the_dashboard_serves_a_postgres_ipam_read_only() {
    let w = pg_workspace();
    let pool = w.platform();
    // A scanned discovery: /discovery pages its CIDRs in address order, VPCs first.
    w.write(
        "describe-vpcs.json",
        r#"{"Vpcs": [{"VpcId": "vpc-2", "CidrBlock": "10.20.0.0/16"}, {"VpcId": "vpc-1", "CidrBlock": "10.3.0.0/16"}]}"#,
    );
    w.config(&format!(
        "{}\n{}",
        support::PLATFORM,
        r#"
resource "ipam_resource_discovery" "d" {
  source {
    path = "describe-vpcs.json"
  }
}

data "ipam_discovered_resource_cidrs" "all" {
  ipam_resource_discovery_id = ipam_resource_discovery.d.id
}

output "discovery" {
  value = ipam_resource_discovery.d.id
}
"#
    ));
    w.apply().ok();
    let discovery = w.outputs()["discovery"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &url(&w)])
        .env_remove("IPAM_DATABASE")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let base = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .map(|a| format!("http://{}", a.trim_end_matches('/')))
        .unwrap_or_else(|| panic!("serve printed no address: {line:?}"));
    let (status, _, metrics) = serve::get(&base, "/metrics");
    let (page, _, html) = serve::get(&base, &format!("/pools/{pool}"));
    let (_, _, front) = serve::get(&base, "/");
    let (found, _, search) = serve::get(&base, "/search?q=10.0.0.0%2F8");
    let (paged, _, listed) = serve::get(&base, &format!("/discovery?discovery={discovery}&page=1"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(front.contains("href=\"/discovery\""), "{front}");
    assert_eq!(found, 200, "{search}");
    assert!(search.contains("data-cidr=\"10.1.0.0/16\""), "{search}");
    assert_eq!(paged, 200, "{listed}");
    let order: Vec<&str> = listed
        .split("<tr data-resource=\"")
        .skip(1)
        .map(|r| &r[..r.find('"').unwrap()])
        .collect();
    assert_eq!(order, ["vpc-1", "vpc-2"], "{listed}");
    assert_eq!(status, 200, "{metrics}");
    assert!(metrics.contains(&pool), "{metrics}");
    assert_eq!(page, 200, "{html}");
    assert!(html.contains("10.1.0.0/16"), "{html}");
}
