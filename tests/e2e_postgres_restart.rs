//! The PostgreSQL server restarts in the middle of `terraform apply` (its own test binary,
//! so its server restarts under no other test): the apply reports the lost connection or
//! reconnects, nothing is half-written, and the next apply converges.

mod support;

use support::{pg, Tf, Workspace};

#[test]
fn a_server_restart_mid_apply_leaves_nothing_half_written_and_the_next_apply_converges() {
    let mut w = Workspace::new(Tf::V1_15);
    w.db = std::path::PathBuf::from(pg::cluster().new_database());
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
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
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
    pg::cluster().stop();
    std::thread::sleep(std::time::Duration::from_millis(300));
    pg::cluster().start();
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
    // whether it committed (tests/store_postgres_commit.rs checks that exactly). Only if the
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
