//! The connection to PostgreSQL dies while a change's COMMIT is in flight: the store must
//! learn whether it committed (asking a new connection) instead of guessing. A change that
//! committed is reported as done (were it reported as failed, the next apply would allocate
//! again and orphan it); one that did not is reported as rolled back, and nothing is stored.
//!
//! A proxy between the store and the test server cuts the connection at the moment chosen:
//! after passing the client's COMMIT on to the server, or instead of passing it on.

// test-backends: own (PostgreSQL only, on its own server)

use crate::support::{fixtures, pg};

use ipam::engine::{AllocationKind, AllocationRequest, Cidr};
use ipam::store::{Actor, AllocationSpec, Error, Store};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Cut {
    Never,
    /// Pass the bytes holding the next COMMIT to the server, let it run them, then cut.
    AfterCommit,
    /// Cut instead of passing on the bytes holding the next COMMIT.
    BeforeCommit,
}

/// A loopback TCP proxy to the server's unix socket.
struct Proxy {
    port: u16,
    cut: Arc<Mutex<Cut>>,
}

impl Proxy {
    fn start(socket: std::path::PathBuf) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(Mutex::new(Cut::Never));
        let shared = cut.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let server = UnixStream::connect(&socket).unwrap();
                let cut = shared.clone();
                // Set once the client must hear nothing more from the server.
                let mute = Arc::new(AtomicBool::new(false));
                let muted = mute.clone();
                let (mut c_in, mut s_out) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut s_in, mut c_out) = (server, client);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 1 << 16];
                    while let Ok(n) = s_in.read(&mut buf) {
                        if n == 0 || muted.load(Ordering::SeqCst) {
                            break;
                        }
                        if c_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = c_out.shutdown(Shutdown::Both);
                });
                std::thread::spawn(move || {
                    let mut buf = [0u8; 1 << 16];
                    while let Ok(n) = c_in.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        let chunk = &buf[..n];
                        let commit = chunk.windows(7).any(|w| w == b"COMMIT\0");
                        let mode = *cut.lock().unwrap();
                        if commit && mode != Cut::Never {
                            *cut.lock().unwrap() = Cut::Never;
                            mute.store(true, Ordering::SeqCst);
                            if mode == Cut::AfterCommit {
                                let _ = s_out.write_all(chunk);
                                std::thread::sleep(Duration::from_millis(300));
                            }
                            let _ = c_in.shutdown(Shutdown::Both);
                            let _ = s_out.shutdown(Shutdown::Both);
                            break;
                        }
                        if s_out.write_all(chunk).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Proxy { port, cut }
    }

    fn arm(&self, cut: Cut) {
        *self.cut.lock().unwrap() = cut;
    }
}

fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

fn actor() -> Actor {
    Actor::new("111122223333", "us-east-1")
}

fn spec(pool: &str) -> AllocationSpec {
    AllocationSpec::new(pool, AllocationRequest::Netmask(24), AllocationKind::Vpc)
}

#[test]
fn a_commit_cut_off_in_flight_is_reported_as_what_happened() {
    let cluster = pg::cluster();
    let direct = cluster.new_database();
    let db = pg::database_name(&direct);
    let proxy = Proxy::start(cluster.socket());
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable",
        proxy.port
    );
    let s = Store::open_database(&url, c("2001:db8::/32"), Duration::from_secs(10)).unwrap();
    let a = actor();
    let pool = fixtures::top_pool(&s, &a, c("10.0.0.0/16"));
    let count = || s.list_allocations(&pool).unwrap().len();

    // The server ran the COMMIT; its answer was lost. The store finds out it committed.
    proxy.arm(Cut::AfterCommit);
    let kept = s
        .allocate(&a, &spec(&pool))
        .expect("a committed change is done");
    assert_eq!(kept.cidr, c("10.0.0.0/24"));
    assert_eq!(count(), 1);

    // The COMMIT never reached the server: rolled back, and said so.
    proxy.arm(Cut::BeforeCommit);
    let e = s.allocate(&a, &spec(&pool)).unwrap_err();
    assert!(
        matches!(e, Error::Db(ipam_db::Error::Unavailable(_))),
        "{e:?}"
    );
    assert!(e.to_string().contains("rolled back"), "{e}");
    assert_eq!(count(), 1);

    // And the next change works, on a new connection, where the last one left the pool.
    let next = s.allocate(&a, &spec(&pool)).unwrap();
    assert_eq!(next.cidr, c("10.0.1.0/24"));
    assert!(s.verify().unwrap().is_empty());
    assert!(s
        .audit_events(Some(&kept.id), 5)
        .unwrap()
        .iter()
        .any(|e| e.action == "allocate-cidr"));
}

/// Sets `setting` server-wide on `cluster` and makes every session see it.
fn set_server(cluster: &pg::Cluster, setting: &str) {
    let mut admin = cluster.admin("postgres");
    admin
        .batch_execute(&format!("ALTER SYSTEM SET {setting}"))
        .unwrap();
    admin.batch_execute("SELECT pg_reload_conf()").unwrap();
    // Sessions read the new configuration before their next statement; give the signal time.
    std::thread::sleep(Duration::from_millis(300));
}

/// A synchronous standby is configured but absent: the server commits each change locally and
/// waits for a confirmation that never comes. No change may be reported as done (a failover
/// would lose it); the wait is bounded by `lock_timeout` and ends in an error that says what
/// to check; the server is not left with a session stuck in the wait; and once the standby
/// requirement is met (here: lifted) changes are reported again.
#[test]
fn with_its_synchronous_standby_absent_no_change_is_reported_done() {
    let cluster = pg::Cluster::private("");
    let url = cluster.new_database();
    let s = Store::open_database(&url, c("2001:db8::/32"), Duration::from_secs(1)).unwrap();
    let a = actor();
    let pool = fixtures::top_pool(&s, &a, c("10.0.0.0/16"));
    set_server(&cluster, "synchronous_standby_names = 'ghost'");

    let started = std::time::Instant::now();
    let e = s.allocate(&a, &spec(&pool)).unwrap_err();
    assert!(
        matches!(e, Error::Db(ipam_db::Error::NotDurable { .. })),
        "{e:?}"
    );
    assert!(e.to_string().contains("did not confirm it durable"), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the wait was not bounded"
    );
    // A structural change waits the same way.
    let e = s
        .create_ipam(&a, None, vec![], ipam::store::Tags::new())
        .unwrap_err();
    assert!(
        matches!(e, Error::Db(ipam_db::Error::NotDurable { .. })),
        "{e:?}"
    );
    // The cancelled waits left nobody waiting for the standby.
    let mut admin = cluster.admin("postgres");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let waiting: i64 = admin
            .query_one(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
                &[],
            )
            .unwrap()
            .get(0);
        if waiting == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{waiting} sessions still wait for the standby"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    set_server(&cluster, "synchronous_standby_names = ''");
    let done = s.allocate(&a, &spec(&pool)).expect("durable again");
    assert!(s.verify().unwrap().is_empty());
    assert!(s
        .list_allocations(&pool)
        .unwrap()
        .iter()
        .any(|x| x.id == done.id));
}

/// What a change reported as done survives a crash of the server (an immediate stop, which
/// loses what was only in the server's memory). The server flushes its log lazily here
/// (`wal_writer_delay` of 10 s, and the tests' `synchronous_commit = off`): only the store's
/// own wait for durability can make the changes survive.
#[test]
fn changes_reported_done_survive_a_crash_of_the_server() {
    let cluster = pg::Cluster::private("wal_writer_delay = '10s'");
    let url = cluster.new_database();
    let a = actor();
    let (pool, done) = {
        let s = Store::open_database(&url, c("2001:db8::/32"), Duration::from_secs(10)).unwrap();
        let pool = fixtures::top_pool(&s, &a, c("10.0.0.0/16"));
        let done: Vec<String> = (0..5)
            .map(|_| s.allocate(&a, &spec(&pool)).unwrap().id)
            .collect();
        (pool, done)
    };
    cluster.crash();
    cluster.start();
    let s = Store::open_database(&url, c("2001:db8::/32"), Duration::from_secs(10)).unwrap();
    let kept: Vec<String> = s
        .list_allocations(&pool)
        .unwrap()
        .into_iter()
        .map(|x| x.id)
        .collect();
    for id in &done {
        assert!(kept.contains(id), "{id} was reported done but is gone");
    }
    assert!(s.verify().unwrap().is_empty());
}

/// A person cancels the wait for the absent standby (`pg_cancel_backend`): the server then
/// stops waiting and answers the commit with only a warning, although no standby has the
/// change. It is still not reported as done.
#[test]
fn a_cancelled_wait_for_the_standby_is_not_reported_done() {
    let cluster = pg::Cluster::private("");
    let url = cluster.new_database();
    let s = Store::open_database(&url, c("2001:db8::/32"), Duration::from_secs(60)).unwrap();
    let a = actor();
    let pool = fixtures::top_pool(&s, &a, c("10.0.0.0/16"));
    set_server(&cluster, "synchronous_standby_names = 'ghost'");
    let canceller = std::thread::spawn({
        let mut admin = cluster.admin("postgres");
        move || {
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            loop {
                let n: i64 = admin
                    .query_one(
                        "SELECT COUNT(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
                        &[],
                    )
                    .unwrap()
                    .get(0);
                if n > 0 || std::time::Instant::now() > deadline {
                    return n;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    });
    let started = std::time::Instant::now();
    let e = s.allocate(&a, &spec(&pool)).unwrap_err();
    assert!(
        matches!(e, Error::Db(ipam_db::Error::NotDurable { .. })),
        "{e:?}"
    );
    assert!(
        canceller.join().unwrap() > 0,
        "nothing waited for the standby"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the cancel, not the bound, ended the wait"
    );
    set_server(&cluster, "synchronous_standby_names = ''");
    s.allocate(&a, &spec(&pool)).expect("durable again");
}
