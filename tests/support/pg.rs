//! A PostgreSQL server of the test process's own: `initdb` and `pg_ctl` from the machine's
//! PostgreSQL server binaries (as the `postgres` OS user when running as root, since they refuse
//! root), in a temporary directory, listening only on a unix socket there. A watchdog stops
//! the server and removes the directory when the test process ends, also after a panic.
//!
//! The modules of one test binary share its server ([`cluster`]): a test that stops it, changes
//! its settings, or counts its sessions starts one of its own ([`Cluster::private`]).
//!
//! `IPAM_TEST_BACKEND=postgres` makes backend-parametrised tests run on it (`backend()`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

/// Which backend the parametrised tests use this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("IPAM_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// For a test that is about SQLite itself (its file, its locks, its schema surgery): on a
/// PostgreSQL run it says so and returns true, and the test returns. The line goes straight to
/// the terminal (libtest hides what a passing test prints), and `scripts/test.sh` counts these
/// lines as skipped, so a skip is never mistaken for a pass.
pub fn skip_on_postgres(test: &str, reason: &str) -> bool {
    if backend() != Backend::Postgres {
        return false;
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED ON POSTGRESQL: {test}: {reason}"
    );
    true
}

pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    pub socket_dir: PathBuf,
    /// The loopback address and port it also listens on ([`Cluster::private_tcp`]).
    tcp: Option<(String, u16)>,
    /// The login roles made on it ([`Cluster::password_role`]): roles are the server's, not a
    /// database's, so the tests sharing a server share them.
    roles: Mutex<Vec<String>>,
}

/// The server binaries: `IPAM_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`.
fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("IPAM_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    found.retain(|p| p.join("initdb").exists());
    found.sort();
    found.pop().expect(
        "no PostgreSQL server binaries under /usr/lib/postgresql (scripts/pg-setup.sh installs them)",
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `program args…`, as the `postgres` user when this process is root.
fn as_server_user(program: &Path, args: &[&str]) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program).args(args);
        c
    } else {
        let mut c = Command::new(program);
        c.args(args);
        c
    }
}

fn run(mut c: Command, what: &str) {
    let out = c
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Creates `dir` and its socket directory, owned by the server's user; the socket directory.
fn server_dir(dir: &Path) -> PathBuf {
    let socket_dir = dir.join("sock");
    std::fs::create_dir_all(&socket_dir).expect("cluster dir");
    if is_root() {
        let mut chown = Command::new("chown");
        chown.args(["-R", "postgres:"]).arg(dir);
        run(chown, "chown");
    }
    socket_dir
}

/// Adds `settings` to the configuration of the data directory `data`.
fn append_conf(data: &Path, settings: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .expect("postgresql.conf");
    writeln!(f, "\n{settings}").expect("write postgresql.conf");
}

fn encode(p: &Path) -> String {
    p.display().to_string().replace('/', "%2F")
}

impl Cluster {
    fn start_new() -> Cluster {
        Cluster::start_with("", None)
    }

    /// A server of the test's own, not the process's shared one (a test that stops it, or
    /// changes server-wide settings), with `settings` (postgresql.conf lines) added.
    pub fn private(settings: &str) -> Cluster {
        Cluster::start_with(settings, None)
    }

    /// A server of the test's own that also listens on `addr`:`port` (a test of TCP, such as
    /// TLS); its socket's name carries that port.
    pub fn private_tcp(addr: &str, port: u16) -> Cluster {
        Cluster::start_with("", Some((addr.to_string(), port)))
    }

    fn start_with(settings: &str, tcp: Option<(String, u16)>) -> Cluster {
        let bin = bin_dir();
        let dir = std::env::temp_dir().join(format!(
            "ipam-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        let socket_dir = server_dir(&dir);
        let data = dir.join("data");
        run(
            as_server_user(
                &bin.join("initdb"),
                &[
                    "-D",
                    &data.display().to_string(),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                ],
            ),
            "initdb",
        );
        if !settings.is_empty() {
            append_conf(&data, settings);
        }
        let c = Cluster {
            dir,
            bin,
            socket_dir,
            tcp,
            roles: Mutex::new(Vec::new()),
        };
        c.start();
        c.watch();
        c
    }

    /// A streaming standby of this server (`pg_basebackup -R`), started, on a socket of its
    /// own; `settings` added to its configuration. The primary's own configuration (and so
    /// `synchronous_standby_names`) is copied with it: set that afterwards.
    pub fn standby(&self, settings: &str) -> Cluster {
        let dir = PathBuf::from(format!("{}-standby", self.dir.display()));
        let socket_dir = server_dir(&dir);
        let data = dir.join("data");
        run(
            as_server_user(
                &self.bin.join("pg_basebackup"),
                &[
                    "-D",
                    &data.display().to_string(),
                    "-R",
                    "-X",
                    "stream",
                    "-h",
                    &self.socket_dir.display().to_string(),
                    "-U",
                    "postgres",
                    "-d",
                    "application_name=standby",
                ],
            ),
            "pg_basebackup",
        );
        if !settings.is_empty() {
            append_conf(&data, settings);
        }
        let c = Cluster {
            dir,
            bin: self.bin.clone(),
            socket_dir,
            tcp: None,
            roles: Mutex::new(Vec::new()),
        };
        c.start();
        c.watch();
        c
    }

    /// Stops the server as a crash would (`pg_ctl -m immediate`): no checkpoint, what was only
    /// in its memory is gone.
    pub fn crash(&self) {
        self.ctl(&["-w", "-m", "immediate", "stop"]);
    }

    /// Runs `pg_ctl -D DATA args…` on this cluster, as the server's user.
    fn ctl(&self, args: &[&str]) {
        let data = self.dir.join("data").display().to_string();
        let mut all = vec!["-D", data.as_str()];
        all.extend_from_slice(args);
        run(
            as_server_user(&self.bin.join("pg_ctl"), &all),
            &format!("pg_ctl {}", args.join(" ")),
        );
    }

    /// Promotes a standby to primary, waiting until it accepts writes.
    pub fn promote(&self) {
        self.ctl(&["-w", "promote"]);
    }

    /// The server's unix socket directory, URL-encoded for a URL's host part.
    pub fn host(&self) -> String {
        encode(&self.socket_dir)
    }

    /// A watchdog: once this process is gone, stop the server and remove its files.
    fn watch(&self) {
        let c = self;
        // The watchdog: once this process is gone, stop the server and remove its files.
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop}; rm -rf '{dir}'",
            pid = std::process::id(),
            stop = c.ctl_line("stop -m immediate"),
            dir = c.dir.display()
        );
        // Deliberately not waited for: it outlives this process to clean up after it.
        #[allow(clippy::zombie_processes)]
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("watchdog");
    }

    /// The shell line that runs `pg_ctl ARGS` on this cluster.
    fn ctl_line(&self, args: &str) -> String {
        let ctl = format!(
            "'{}' -D '{}' {args}",
            self.bin.join("pg_ctl").display(),
            self.dir.join("data").display()
        );
        if is_root() {
            format!("runuser -u postgres -- {ctl} >/dev/null 2>&1")
        } else {
            format!("{ctl} >/dev/null 2>&1")
        }
    }

    /// Starts the server: for tests without waiting for the disk, unless `IPAM_PG_DURABLE` is
    /// set (benchmarks), when every commit is flushed as a production server's is.
    pub fn start(&self) {
        let speed = if std::env::var_os("IPAM_PG_DURABLE").is_some() {
            ""
        } else {
            "-c fsync=off -c synchronous_commit=off "
        };
        let slow = std::env::var("IPAM_PG_LOG_MS")
            .map(|ms| format!("-c log_min_duration_statement={ms} "))
            .unwrap_or_default();
        // A test of TCP (TLS) asks for a loopback address and port; the rest use the socket.
        let listen = match &self.tcp {
            Some((addr, port)) => format!("-c listen_addresses={addr} -p {port} "),
            None => "-c listen_addresses='' ".to_string(),
        };
        let opts = format!(
            "-k {} {listen}{speed}{slow}-c max_connections=300",
            self.socket_dir.display()
        );
        let data = self.dir.join("data").display().to_string();
        let log = self.dir.join("log").display().to_string();
        run(
            as_server_user(
                &self.bin.join("pg_ctl"),
                &["-D", &data, "-l", &log, "-w", "-o", &opts, "start"],
            ),
            "pg_ctl start",
        );
    }

    pub fn stop(&self) {
        self.ctl(&["-w", "-m", "fast", "stop"]);
    }

    /// The directory holding the server's data, socket and log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    /// `:PORT` when the server listens on a port of the test's choosing (the socket's name
    /// carries the port).
    fn port_suffix(&self) -> String {
        self.tcp
            .as_ref()
            .map(|(_, port)| format!(":{port}"))
            .unwrap_or_default()
    }

    /// The server's unix socket itself (its name carries the port).
    pub fn socket(&self) -> PathBuf {
        let port = self.tcp.as_ref().map_or(5432, |(_, port)| *port);
        self.socket_dir.join(format!(".s.PGSQL.{port}"))
    }

    /// Creates login role `role` with `password`, logging in with the password, not by trust;
    /// once per server, so tests sharing it may each ask for the same role.
    pub fn password_role(&self, role: &str, password: &str) {
        let mut made = self.roles.lock().unwrap_or_else(|e| e.into_inner());
        if made.iter().any(|m| m == role) {
            return;
        }
        let hba = self.dir.join("data").join("pg_hba.conf");
        let old = std::fs::read_to_string(&hba).expect("pg_hba.conf");
        std::fs::write(&hba, format!("local all {role} scram-sha-256\n{old}"))
            .expect("pg_hba.conf");
        let mut admin = self.admin("postgres");
        admin
            .batch_execute(&format!(
                "CREATE ROLE {role} LOGIN PASSWORD '{password}' CREATEDB; SELECT pg_reload_conf();"
            ))
            .expect("create role");
        made.push(role.to_string());
    }

    /// The URL of database `db` on this server as `user` with `password`.
    pub fn url_as(&self, user: &str, password: &str, db: &str) -> String {
        format!(
            "postgres://{user}:{password}@{}{}/{db}?sslmode=disable",
            encode(&self.socket_dir),
            self.port_suffix()
        )
    }

    /// The URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@{}{}/{db}?sslmode=disable",
            encode(&self.socket_dir),
            self.port_suffix()
        )
    }

    /// A client of the maintenance database, for setting up and inspecting.
    pub fn admin(&self, db: &str) -> ipam_db::drivers::postgres::Client {
        ipam_db::drivers::postgres::Client::connect(
            &self.url(db),
            ipam_db::drivers::postgres::NoTls,
        )
        .expect("connect to test server")
    }

    /// A new empty database; its URL.
    pub fn new_database(&self) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!("ipam_{}", N.fetch_add(1, Ordering::Relaxed));
        self.admin("postgres")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        self.url(&name)
    }
}

/// A test's own server ([`Cluster::private`], a standby) is gone with the test, not only with
/// the test process: a test binary runs many tests, and each server holds memory and a
/// directory. (The shared server is a static, never dropped: its watchdog removes it.)
impl Drop for Cluster {
    fn drop(&mut self) {
        // It may be stopped already (a crash test): then only the directory is left to remove.
        let _ = Command::new("sh")
            .args([
                "-c",
                &format!(
                    "{}; rm -rf '{}'",
                    self.ctl_line("stop -m immediate"),
                    self.dir.display()
                ),
            ])
            .stdin(Stdio::null())
            .status();
    }
}

/// The name of the database a test URL points at.
pub fn database_name(url: &str) -> String {
    let tail = url.rsplit('/').next().unwrap_or(url);
    tail.split('?').next().unwrap_or(tail).to_string()
}

/// This process's server, started on first use.
pub fn cluster() -> &'static Cluster {
    static C: OnceLock<Cluster> = OnceLock::new();
    C.get_or_init(Cluster::start_new)
}

/// Every row of the IPAM's tables in a PostgreSQL database at `url`, as text.
pub fn dump(url: &str) -> String {
    let mut client =
        ipam_db::drivers::postgres::Client::connect(url, ipam_db::drivers::postgres::NoTls)
            .expect("connect");
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
        let exists: bool = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
            .expect("table")
            .get(0);
        if !exists {
            continue;
        }
        let rows = client
            .query(
                &format!("SELECT CAST(t AS TEXT) FROM {table} t ORDER BY 1"),
                &[],
            )
            .expect("dump rows");
        for r in rows {
            out.push_str(table);
            out.push(' ');
            out.push_str(&r.get::<_, String>(0));
            out.push('\n');
        }
    }
    out
}
