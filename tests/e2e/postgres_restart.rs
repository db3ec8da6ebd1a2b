//! The PostgreSQL server restarts in the middle of `terraform apply` (each test on a server of
//! its own, so it restarts under no other test): the apply reports the lost connection or
//! reconnects, nothing is half-written, and the next apply converges.

// test-backends: own (PostgreSQL only, on its own server)

use crate::support;

use crate::support::{pg, Tf, Workspace};

#[test]
fn a_server_restart_mid_apply_leaves_nothing_half_written_and_the_next_apply_converges() {
    let cluster = pg::Cluster::private("");
    let mut w = Workspace::new(Tf::V1_15);
    w.db = std::path::PathBuf::from(cluster.new_database());
    let url = w.db.display().to_string();
    let pool = w.platform();
    let mut t = w.sibling();
    t.db = w.db.clone();
    t.config(&format!(
        "resource \"ipam_vpc_allocation\" \"vpc\" {{\n  count          = 30\n  ipam_pool_id   = \"{pool}\"\n  netmask_length = 24\n  description    = \"restart\"\n  tags = {{\n    environment = \"production\"\n  }}\n}}\n"
    ));
    t.init();
    let child = t
        .apply_command(1)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let count = |sql: &str| -> i64 {
        let mut c =
            ipam_db::drivers::postgres::Client::connect(&url, ipam_db::drivers::postgres::NoTls)
                .unwrap();
        c.query_one(sql, &[]).unwrap().get(0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while count("SELECT COUNT(*) FROM allocations WHERE description = 'restart'") < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the apply made no progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    cluster.stop();
    std::thread::sleep(std::time::Duration::from_millis(300));
    cluster.start();
    let out = child.wait_with_output().unwrap();
    let text = support::flatten(&format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ));
    if !out.status.success() {
        assert!(
            text.contains("connection to the database server was lost")
                || text.contains("cannot connect to"),
            "{text}"
        );
    }
    t.apply().ok();
    t.assert_no_changes();
    // A commit whose acknowledgement the restart cut off: the store asks the restarted server
    // whether it committed (tests/store/postgres_commit.rs checks that exactly). Only if the
    // server could not answer in time did Terraform allocate again; the error then said to run
    // `orphans`, which must find exactly that block, and release it.
    let extra = count("SELECT COUNT(*) FROM allocations WHERE description = 'restart'") - 30;
    assert!((0..=1).contains(&extra), "{extra} allocations too many");
    if extra == 1 {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
            .args([
                "orphans",
                "--state",
                "terraform.tfstate",
                "--release",
                "--database",
                &url,
            ])
            .current_dir(t.path())
            .output()
            .unwrap();
        // 5: the orphan was found and released.
        assert_eq!(
            out.status.code(),
            Some(5),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        t.assert_no_changes();
    }
    assert_eq!(
        count("SELECT COUNT(*) FROM allocations WHERE description = 'restart'"),
        30
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM allocations a JOIN allocations b
               ON a.pool_id = b.pool_id AND a.id < b.id AND a.net && b.net"
        ),
        0
    );
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
        .args(["verify", "--database", &url])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

/// The ids of every `ipam_vpc_allocation` in `w`'s state.
fn state_ids(w: &Workspace) -> Vec<String> {
    let state = w.state();
    state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["type"] == "ipam_vpc_allocation")
        .filter_map(|r| r["values"]["id"].as_str().map(String::from))
        .collect()
}

/// The allocation ids the database at `url` holds.
fn database_ids(url: &str) -> std::collections::HashSet<String> {
    let mut c = ipam_db::drivers::postgres::Client::connect(url, ipam_db::drivers::postgres::NoTls)
        .unwrap();
    c.query("SELECT id FROM allocations", &[])
        .unwrap()
        .into_iter()
        .map(|r| r.get(0))
        .collect()
}

/// Asserts every allocation Terraform's state holds is in the database.
fn assert_state_kept(w: &Workspace, url: &str, when: &str) {
    let kept = database_ids(url);
    let missing: Vec<String> = state_ids(w)
        .into_iter()
        .filter(|id| !kept.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "{when}: Terraform recorded {} allocation(s) the database lost: {missing:?}",
        missing.len()
    );
}

/// Starts `terraform apply` in `t` (its output to `apply.log` there: a pipe nobody reads
/// while the test waits would stall a long plan) and waits until the database at `url` holds
/// `more` allocations more than it did.
fn apply_until(t: &Workspace, url: &str, more: usize) -> std::process::Child {
    let before = database_ids(url).len();
    let log = std::fs::File::create(t.path().join("apply.log")).unwrap();
    let mut child = t
        .apply_command(10)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    while database_ids(url).len() < before + more {
        if std::time::Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the apply made no progress: {}", applied(t));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child
}

/// What the last [`apply_until`] printed.
fn applied(t: &Workspace) -> String {
    support::flatten(&std::fs::read_to_string(t.path().join("apply.log")).unwrap_or_default())
}

/// The configuration of `count` VPC allocations from `pool`.
fn many(pool: &str, count: usize) -> String {
    format!(
        "resource \"ipam_vpc_allocation\" \"vpc\" {{\n  count          = {count}\n  ipam_pool_id   = \"{pool}\"\n  netmask_length = 24\n  description    = \"crash\"\n  tags = {{\n    environment = \"production\"\n  }}\n}}\n"
    )
}

/// The server crashes (an immediate stop: what was only in its memory is gone) in the middle
/// of `terraform apply`, twice: every allocation Terraform was told about (its state holds
/// it) is in the database afterwards, and the next apply converges to an empty plan. The
/// server flushes its log lazily (`wal_writer_delay` of 10 s), so only the provider's own
/// wait for durability keeps what it reported.
#[test]
fn allocations_terraform_recorded_survive_crashes_of_the_server() {
    let cluster = pg::Cluster::private("wal_writer_delay = '10s'");
    let url = cluster.new_database();
    let mut w = Workspace::new(Tf::V1_15);
    w.db = std::path::PathBuf::from(&url);
    let pool = w.platform();
    let mut t = w.sibling();
    t.db = w.db.clone();
    t.config(&many(&pool, 100));
    t.init();
    // Each round asks for more than the last: an apply the restarted server let finish
    // leaves the next round work to do.
    for (round, count) in [(1, 100), (2, 200)] {
        t.config(&many(&pool, count));
        let mut child = apply_until(&t, &url, 15);
        cluster.crash();
        std::thread::sleep(std::time::Duration::from_millis(200));
        cluster.start();
        child.wait().unwrap();
        let text = applied(&t);
        assert!(!text.contains("panic"), "{text}");
        assert_state_kept(&t, &url, &format!("after crash {round}"));
    }
    t.apply().ok();
    t.assert_no_changes();
    assert_state_kept(&t, &url, "after the last apply");
    assert_eq!(state_ids(&t).len(), 200);
}

/// A primary with a synchronous streaming standby; the provider is given both in a libpq
/// multi-host URL with `target_session_attrs=read-write`. The primary crashes in the middle of
/// `terraform apply` and the standby is promoted: nothing Terraform recorded is missing on the
/// new primary, the next apply converges, and the plan after it is empty.
#[test]
fn allocations_terraform_recorded_survive_a_failover_to_a_synchronous_standby() {
    let primary = pg::Cluster::private("wal_writer_delay = '10s'");
    let url = primary.new_database();
    let db = pg::database_name(&url);
    let standby = primary.standby("");
    {
        let mut admin = primary.admin("postgres");
        admin
            .batch_execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
            .unwrap();
        admin.batch_execute("SELECT pg_reload_conf()").unwrap();
    }
    let both = format!(
        "postgres://postgres@{},{}/{db}?sslmode=disable&target_session_attrs=read-write",
        primary.host(),
        standby.host()
    );
    let on_standby = standby.url(&db);
    let mut w = Workspace::new(Tf::V1_15);
    w.db = std::path::PathBuf::from(&both);
    let pool = w.platform();
    let mut t = w.sibling();
    t.db = w.db.clone();
    t.config(&many(&pool, 120));
    t.init();
    let mut child = apply_until(&t, &url, 15);
    primary.crash();
    standby.promote();
    child.wait().unwrap();
    let text = applied(&t);
    assert!(!text.contains("panic"), "{text}");
    assert_state_kept(&t, &on_standby, "after the failover");
    t.apply().ok();
    t.assert_no_changes();
    assert_state_kept(&t, &on_standby, "after the next apply");
    assert_eq!(state_ids(&t).len(), 120);
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-ipam"))
        .args(["verify", "--database", &both])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}
