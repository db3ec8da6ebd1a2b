//! The connection to PostgreSQL dies while a change's COMMIT is in flight: the store must
//! learn whether it committed (asking a new connection) instead of guessing. A change that
//! committed is reported as done (were it reported as failed, the next apply would allocate
//! again and orphan it); one that did not is reported as rolled back, and nothing is stored.
//!
//! A proxy between the store and the test server cuts the connection at the moment chosen:
//! after passing the client's COMMIT on to the server, or instead of passing it on.

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/pg.rs"]
mod pg;

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
    let socket = cluster.socket_dir.join(format!(
        ".s.PGSQL.{}",
        std::env::var("IPAM_PG_PORT").unwrap_or("5432".into())
    ));
    let proxy = Proxy::start(socket);
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
    assert!(matches!(e, Error::Unavailable(_)), "{e:?}");
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
