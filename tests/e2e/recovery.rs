//! Recovery and self-checks under real Terraform: a `kill -9` of terraform in the middle of an
//! apply of 50 allocations is found by `orphans --state`, released, and the next apply
//! converges; the provider processes do not outlive Terraform; a read-only database serves
//! configurations that only read; a newer schema is refused by provider and CLI.

use crate::support;

use crate::support::{Tf, Workspace, PLATFORM};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-ipam");

/// Runs the CLI in `dir` on `db`; (exit code, stdout, stderr).
fn cli(dir: &Path, db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .arg("--database")
        .arg(db)
        .current_dir(dir)
        .env_remove("TF_WORKSPACE")
        .output()
        .expect("run the CLI");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The first column of `sql`'s rows. On SQLite a read-only connection that waits for the
/// writer (an apply may be running).
fn query(w: &Workspace, sql: &str) -> Vec<String> {
    if support::pg::backend() == support::pg::Backend::Postgres {
        return w
            .query(sql)
            .into_iter()
            .map(|r| r[0].clone().expect("a value"))
            .collect();
    }
    let conn = ipam_db::drivers::rusqlite::Connection::open_with_flags(
        &w.db,
        ipam_db::drivers::rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the database");
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(|r| r.unwrap()).collect()
}

fn vpc_allocations(w: &Workspace) -> BTreeSet<String> {
    query(w, "SELECT id FROM allocations WHERE kind = 'vpc'")
        .into_iter()
        .collect()
}

/// Processes whose working directory is `dir` and whose command line names the provider.
fn providers_in(dir: &Path) -> Vec<u32> {
    let dir = std::fs::canonicalize(dir).unwrap();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmd = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let zombie = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|s| s.rsplit_once(") ").map(|(_, r)| r.starts_with('Z')))
            .unwrap_or(true);
        if !zombie
            && String::from_utf8_lossy(&cmd).contains("terraform-provider-ipam")
            && std::fs::read_link(entry.path().join("cwd")).ok().as_deref() == Some(&dir)
        {
            found.push(pid);
        }
    }
    found
}

const FIFTY: &str = r#"
resource "ipam_vpc_allocation" "vpc" {
  count          = 50
  ipam_pool_id   = ipam_pool.prod.id
  netmask_length = 24
  description    = "vpc ${count.index}"
  tags = {
    environment = "production"
  }
}
"#;

/// Applies 50 allocations and kills terraform mid-apply the way that loses track of some: it
/// is stopped (SIGSTOP) while requests are in flight, so the provider commits them but
/// Terraform never records them, then killed with SIGKILL. Returns the socket directory.
fn killed_apply(w: &Workspace) -> tempfile::TempDir {
    w.platform();
    w.config(&format!("{PLATFORM}\n{FIFTY}"));
    // Terraform passes TMPDIR on to the provider: its socket goes here, where this test alone
    // looks for leftovers.
    let sockets = tempfile::tempdir().unwrap();
    let mut apply = w
        .apply_command(10)
        .env("TMPDIR", sockets.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start terraform apply");
    let start = Instant::now();
    loop {
        let n = vpc_allocations(w).len();
        if n >= 8 {
            break;
        }
        assert!(
            n < 50 && start.elapsed() < Duration::from_secs(120),
            "apply did not progress ({n})"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let stop = Command::new("kill")
        .args(["-STOP", &apply.id().to_string()])
        .status()
        .unwrap();
    assert!(stop.success());
    std::thread::sleep(Duration::from_millis(500));
    apply.kill().unwrap();
    apply.wait().unwrap();
    sockets
}

#[test]
fn a_killed_apply_is_recovered_with_orphans_and_the_next_apply_converges() {
    // A stop can land when no request is in flight; then nothing is lost. Try again then.
    for attempt in 1..=3 {
        let w = Workspace::new(Tf::V1_15);
        let sockets = killed_apply(&w);
        if recover(&w, sockets.path()) {
            return;
        }
        eprintln!("attempt {attempt}: the kill left nothing behind");
    }
    panic!("three killed applies left no orphan to find");
}

/// Checks the provider is gone and recovers with orphans; false when there was nothing to
/// recover.
fn recover(w: &Workspace, sockets: &Path) -> bool {
    let killed = Instant::now();
    // The provider notices within a second or two that Terraform is gone.
    while !providers_in(w.path()).is_empty() {
        assert!(
            killed.elapsed() < Duration::from_secs(3),
            "providers {:?} outlived terraform",
            providers_in(w.path())
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "providers gone {:?} after terraform was killed",
        killed.elapsed()
    );
    let leftover: Vec<_> = std::fs::read_dir(sockets)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("plugin"))
        })
        .collect();
    assert!(leftover.is_empty(), "sockets left behind: {leftover:?}");

    // Terraform 1.15 rewrites terraform.tfstate in place after every resource: a kill during
    // a write leaves it empty or cut short. orphans then compares with the backup (the state
    // before this apply) and says to restore it, which the guide says to do first.
    let state_file = w.path().join("terraform.tfstate");
    let mut state_text = std::fs::read_to_string(&state_file).unwrap();
    if serde_json::from_str::<serde_json::Value>(&state_text).is_err() {
        let backup = std::fs::read_to_string(w.path().join("terraform.tfstate.backup")).unwrap();
        let (code, out, err) = cli(
            w.path(),
            &w.db,
            &["orphans", "--state", "terraform.tfstate"],
        );
        // 1 when the backup lacks some allocation (orphans found), 0 when it has them all.
        let expected_code = if out.starts_with("no orphans") { 0 } else { 1 };
        assert_eq!(code, expected_code, "{out}{err}");
        assert!(
            err.contains("cp terraform.tfstate.backup terraform.tfstate"),
            "{err}"
        );
        for id in vpc_allocations(w) {
            assert_eq!(out.contains(&id), !backup.contains(&id), "{id}:\n{out}");
        }
        std::fs::copy(w.path().join("terraform.tfstate.backup"), &state_file).unwrap();
        state_text = std::fs::read_to_string(&state_file).unwrap();
    }
    let in_db = vpc_allocations(w);
    let expected: BTreeSet<String> = in_db
        .iter()
        .filter(|id| !state_text.contains(id.as_str()))
        .cloned()
        .collect();
    if expected.is_empty() {
        return false;
    }
    let (code, out, err) = cli(
        w.path(),
        &w.db,
        &["orphans", "--state", "terraform.tfstate", "--json"],
    );
    assert_eq!(code, 1, "orphans found: {out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let found: BTreeSet<String> = report["orphans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        found, expected,
        "orphans differ from the database minus the state"
    );
    // The same from `terraform show -json`.
    std::fs::write(
        w.path().join("state.json"),
        w.run(&["show", "-json"]).ok().stdout,
    )
    .unwrap();
    let (code, out, err) = cli(w.path(), &w.db, &["orphans", "--state", "state.json"]);
    assert_eq!(code, 1, "orphans found: {out}{err}");
    for id in &expected {
        assert!(out.contains(id.as_str()), "{id} not listed:\n{out}");
    }
    // The state, not the directory the command runs in, says whose orphans they are: the
    // same from anywhere (a CI runner that checked out elsewhere).
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, out, _) = cli(
        elsewhere.path(),
        &w.db,
        &[
            "orphans",
            "--state",
            w.path().join("state.json").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "orphans found, listed from elsewhere");
    for id in &expected {
        assert!(
            out.contains(id.as_str()),
            "{id} not listed from elsewhere:\n{out}"
        );
    }

    let (code, out, err) = cli(
        w.path(),
        &w.db,
        &["orphans", "--state", "terraform.tfstate", "--release"],
    );
    assert_eq!(code, 5, "found and released: {out}{err}");
    assert_eq!(
        vpc_allocations(w),
        in_db.difference(&expected).cloned().collect(),
        "--release freed exactly the orphans"
    );
    let audit = query(
        w,
        "SELECT object_id FROM audit_events WHERE action = 'release-allocation'",
    );
    for id in &expected {
        assert!(audit.contains(id), "release of {id} not audited");
    }

    // The next apply converges on exactly 50 allocations, and the database is sound.
    w.apply().ok();
    w.assert_no_changes();
    assert_eq!(vpc_allocations(w).len(), 50);
    let (code, out, err) = cli(w.path(), &w.db, &["verify"]);
    assert_eq!(code, 0, "verify: {out}{err}");
    let (code, out, _) = cli(
        w.path(),
        &w.db,
        &["orphans", "--state", "terraform.tfstate"],
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("no orphans"), "{out}");
    true
}

const READER: &str = r#"
data "ipam_utilization" "prod" {
  ipam_pool_id = ipam_pool.prod.id
}

resource "ipam_vpc_allocation" "one" {
  ipam_pool_id   = ipam_pool.prod.id
  netmask_length = 24
  tags = {
    environment = "production"
  }
  depends_on = [ipam_pool_cidr.prod]
}

output "used" {
  value = data.ipam_utilization.prod.utilization_percent
}
"#;

#[test]
fn configurations_that_only_read_work_on_a_read_only_database() {
    use std::os::unix::fs::PermissionsExt;
    if support::pg::skip_on_postgres(
        "configurations_that_only_read_work_on_a_read_only_database",
        "a read-only SQLite file (e2e::postgres tests a read-only PostgreSQL database)",
    ) {
        return;
    }
    let mut w = Workspace::new(Tf::V1_15);
    let ro = w.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    w.db = ro.join("ipam.db");
    w.config(&format!("{PLATFORM}\n{READER}"));
    w.init();
    w.apply().ok();
    // Once more, so the data source reads what the first apply allocated.
    w.apply().ok();
    let set = |p: &Path, mode| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    set(&w.db, 0o444);
    set(&ro, 0o555);
    let before = std::fs::read(&w.db).unwrap();
    // A plan with no changes (which refreshes every resource and reads the data source).
    w.assert_no_changes();
    w.run(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ])
    .ok();
    // A change is refused, and nothing is written.
    w.config(&format!(
        "{PLATFORM}\n{READER}\nresource \"ipam_vpc_allocation\" \"two\" {{\n  ipam_pool_id = ipam_pool.prod.id\n  netmask_length = 24\n  tags = {{ environment = \"production\" }}\n}}\n"
    ));
    let r = w.apply();
    assert_ne!(
        r.code,
        0,
        "a write to a read-only database succeeded:\n{}",
        r.text()
    );
    assert!(r.text().to_lowercase().contains("read"), "{}", r.text());
    assert_eq!(
        before,
        std::fs::read(&w.db).unwrap(),
        "the database was written"
    );
    let (code, out, err) = cli(w.path(), &w.db, &["allocations"]);
    assert_eq!(code, 0, "{out}{err}");
    set(&ro, 0o755);
    set(&w.db, 0o644);
}

#[test]
fn a_newer_schema_is_refused_by_provider_and_cli_naming_both_versions() {
    let w = Workspace::new(Tf::V1_15);
    w.platform();
    let latest = ipam::store::migrate::latest();
    w.execute(&format!(
        "INSERT INTO schema_version VALUES ({})",
        latest + 1
    ));
    let before = w.dump();
    let versions = [
        format!("schema version {}", latest + 1),
        format!("version {latest}"),
    ];
    let r = w.plan();
    assert_ne!(r.code, 0);
    let text = support::flatten(&r.text());
    for v in &versions {
        assert!(text.contains(v.as_str()), "{v:?} not in:\n{text}");
    }
    for cmd in ["allocations", "verify", "audit"] {
        let (code, out, err) = cli(w.path(), &w.db, &[cmd]);
        assert_eq!(code, 3, "{cmd}: {out}{err}");
        for v in &versions {
            assert!(err.contains(v.as_str()), "{cmd}: {v:?} not in {err}");
        }
    }
    assert_eq!(before, w.dump(), "nothing written");
}

#[test]
fn a_stray_free_block_never_makes_terraform_hand_out_an_overlap() {
    let w = Workspace::new(Tf::V1_15);
    let prod = w.platform();
    let one = r#"
resource "ipam_vpc_allocation" "a" {
  ipam_pool_id   = ipam_pool.prod.id
  netmask_length = 20
  tags           = { environment = "production" }
}
"#;
    w.config(&format!("{PLATFORM}\n{one}"));
    w.apply().ok();
    let a = w.resource("ipam_vpc_allocation.a")["cidr"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(a, "10.1.0.0/20");
    // The free index claims 10.1.0.0/20 is free again.
    let start = match support::pg::backend() {
        support::pg::Backend::Sqlite => "X'0000000000000000000000000A010000'",
        support::pg::Backend::Postgres => "'\\x0000000000000000000000000A010000'::bytea",
    };
    let stray = || {
        w.execute(&format!(
            "INSERT INTO free_blocks (pool_id, start, len) VALUES ('{prod}', {start}, 20)"
        ))
    };
    stray();
    let (code, out, _) = cli(w.path(), &w.db, &["verify"]);
    assert_eq!(code, 1, "verify missed the stray block:\n{out}");
    assert!(out.contains("10.1.0.0/20"), "{out}");
    // The next allocation does not get the allocated block.
    let two = r#"
resource "ipam_vpc_allocation" "b" {
  ipam_pool_id   = ipam_pool.prod.id
  netmask_length = 20
  tags           = { environment = "production" }
}
"#;
    w.config(&format!("{PLATFORM}\n{one}\n{two}"));
    w.apply().ok();
    let b = w.resource("ipam_vpc_allocation.b")["cidr"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(b, "10.1.16.0/20", "b must not overlap a ({a})");
    assert_eq!(cli(w.path(), &w.db, &["verify"]).0, 0);
    // verify --repair mends the same fault without an allocation passing by.
    stray();
    assert_eq!(cli(w.path(), &w.db, &["verify"]).0, 1);
    let (code, out, err) = cli(w.path(), &w.db, &["verify", "--repair"]);
    assert_eq!(code, 5, "repaired: {out}{err}");
    assert!(out.contains(&prod), "{out}");
    assert_eq!(cli(w.path(), &w.db, &["verify"]).0, 0);
    w.assert_no_changes();
}

/// Allocations of the production pool given by id (the pool itself lives in another
/// directory's state, so both backends below share it).
fn three_allocations(pool: &str) -> String {
    format!(
        r#"
resource "ipam_vpc_allocation" "vpc" {{
  count          = 3
  ipam_pool_id   = "{pool}"
  netmask_length = 24
  tags           = {{ environment = "production" }}
}}
"#
    )
}

/// The database's VPC allocations, on either backend.
fn vpcs_of(w: &Workspace) -> BTreeSet<String> {
    w.query("SELECT id FROM allocations WHERE kind = 'vpc'")
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect()
}

fn ids_in(file: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["instances"].as_array().cloned().unwrap_or_default())
        .filter_map(|i| i["attributes"]["id"].as_str().map(String::from))
        .filter(|id| id.starts_with("ipam-pool-alloc-"))
        .collect()
}

#[test]
fn orphans_of_one_local_backend_never_touch_another_backends_allocations_in_the_same_directory() {
    let platform = Workspace::new(Tf::V1_15);
    let pool = platform.platform();
    let w = platform.sibling();
    w.config(&three_allocations(&pool));
    w.write("backend.tf", "terraform {\n  backend \"local\" {}\n}\n");
    let init = |path: &str| {
        w.run(&[
            "init",
            "-reconfigure",
            "-input=false",
            "-no-color",
            &format!("-backend-config=path={path}"),
        ])
        .ok();
    };
    init("A.tfstate");
    w.apply().ok();
    init("B.tfstate");
    w.apply().ok();
    let (a_file, b_file) = (w.path().join("A.tfstate"), w.path().join("B.tfstate"));
    let (a_ids, b_ids) = (ids_in(&a_file), ids_in(&b_file));
    assert_eq!((a_ids.len(), b_ids.len()), (3, 3));
    assert!(a_ids.is_disjoint(&b_ids));

    // The case of the issue: B's orphans are none, and --release frees nothing of A's.
    let (code, out, err) = cli(w.path(), &w.db, &["orphans", "--state", "B.tfstate"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("no orphans"), "{out}");
    let (code, out, err) = cli(
        w.path(),
        &w.db,
        &["orphans", "--state", "B.tfstate", "--release"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(vpcs_of(&w), a_ids.union(&b_ids).cloned().collect());
    w.assert_no_changes();

    // A's state loses track of one allocation (as a killed apply would) while the directory
    // is initialised for B: `orphans --state A.tfstate` learns A's state from the file.
    init("A.tfstate");
    w.assert_no_changes();
    let lost = a_ids.iter().next().unwrap().clone();
    let address = w.state()["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["values"]["id"] == lost.as_str())
        .unwrap()["address"]
        .as_str()
        .unwrap()
        .to_string();
    w.run(&["state", "rm", "-no-color", &address]).ok();
    init("B.tfstate");
    let (code, out, err) = cli(
        w.path(),
        &w.db,
        &["orphans", "--state", "A.tfstate", "--json"],
    );
    assert_eq!(code, 1, "orphans found: {out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let found: Vec<&str> = report["orphans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(found, [lost.as_str()], "{out}");
    let (code, out, err) = cli(w.path(), &w.db, &["orphans", "--state", "B.tfstate"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("no orphans"),
        "B does not own A's orphan: {out}"
    );
    let (code, out, err) = cli(
        w.path(),
        &w.db,
        &["orphans", "--state", "A.tfstate", "--release"],
    );
    assert_eq!(code, 5, "found and released: {out}{err}");
    let mut left = a_ids.union(&b_ids).cloned().collect::<BTreeSet<_>>();
    left.remove(&lost);
    assert_eq!(vpcs_of(&w), left, "exactly A's orphan was released");

    // Both states converge: B has nothing to do, A re-creates only what it lost.
    w.assert_no_changes();
    init("A.tfstate");
    w.apply().ok();
    w.assert_no_changes();
    assert_eq!(ids_in(&a_file).len(), 3);
    assert_eq!(vpcs_of(&w).len(), 6);
}
