//! The store: schema, migrations, transactions; engine state in and out. One store logic over
//! two backends, a SQLite file or a PostgreSQL server.
//!
//! One database is shared by every Terraform configuration (and process) that points at it.
//! Every mutation is one transaction that first takes the write lock (SQLite: `BEGIN
//! IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock, see [`backend`]), so concurrent
//! runs queue instead of racing, and a refused request leaves nothing behind. The store keeps
//! records; the engine decides.
//!
//! # Writing a store function (for both backends)
//!
//! 1. Take `tx: &Tx` ([`sql::Tx`]) and write the SQL once with `?1`, `?2`… parameters; PostgreSQL
//!    receives them as `$1`, `$2`. Bind with `params![..]` or an array, read with
//!    `row.get::<_, T>(i)` (`i64`, `bool`, `String`, `Vec<u8>`, `Option<_>`), and use
//!    `.optional()` for "at most one row". Only integers, text, bytes and NULL cross.
//! 2. Use SQL both dialects share: no `sqlite_master`, no `IFNULL` (use `COALESCE`), no
//!    `GROUP_CONCAT`; cast aggregates that PostgreSQL widens (`CAST(SUM(x) AS BIGINT)`). For the
//!    rare statement that must differ, branch on `tx.dialect()`.
//! 3. Expose it on [`Store`] through `self.write_pool(actor, pool_id, |tx| ..)` (a change to one pool's
//!    allocations), `self.write(|tx| ..)` (any other change: excludes every writer), `self.read`
//!    (a snapshot) or `self.dry_run` (a plan-time check that is always rolled back). A write
//!    may run again after a serialization failure or deadlock, so its closure must be
//!    repeatable (clone what it consumes). A write that changes a pool's allocations without
//!    holding that pool's lock (under `write_pool`, or `write`) is a bug.
//! 4. A new table or column: append a step to both `MIGRATIONS` lists in [`migrate`] (SQLite and
//!    PostgreSQL spellings, same version number); PostgreSQL integers are `BIGINT`, bytes `BYTEA`.
//! 5. Row loaders live in [`rows`]; every module takes them from there (no import circles).

mod allocation;
mod audit;
mod aws;
mod backend;
mod copy;
mod discovery;
pub mod free;
mod history;
mod ipam;
pub mod migrate;
mod model;
mod moved;
mod open;
mod organization;
mod origin;
pub mod pg;
mod planning;
mod pool;
mod pool_cidr;
mod recovery;
mod reservation;
mod rows;
mod share;
pub mod sql;
mod utilization;
mod verify;
pub mod view;

pub use allocation::AllocationSpec;
pub use audit::AuditEvent;
pub use copy::{CopyReport, Divergence};
pub use discovery::{Discovery, DiscoveryAssociation, DiscoverySpec, Scan, ScanError};
pub use history::HistoryPoint;
pub use model::*;
pub use open::SYNCHRONOUS_VAR as SQLITE_SYNCHRONOUS_VAR;
pub use organization::{Organization, OrganizationAccount, OrganizationalUnit};
pub use origin::{local_state_file, Origin};
pub use planning::SourceResource;
pub use pool::{PoolSpec, PoolUpdate};
pub use share::{id_of, ResourceShare, ShareSpec};
pub use utilization::{percent as utilization_percent, CidrUsage, Utilization, UtilizationTarget};
pub use verify::Fault;

use crate::engine;
use backend::Conn;
use sql::Tx;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// Who is asking: the provider's account and region, and where Terraform runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub account_id: String,
    pub region: String,
    /// Recorded on every allocation, to find what an interrupted apply left behind.
    pub origin: Origin,
}

impl Actor {
    /// An actor whose origin is this process's directory: Terraform starts the provider in
    /// the directory it runs in, so that is the configuration the requests come from.
    pub fn new(account_id: impl Into<String>, region: impl Into<String>) -> Actor {
        Actor {
            account_id: account_id.into(),
            region: region.into(),
            origin: Origin::current(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Engine(#[from] engine::Error),
    #[error("no {kind} with id {id:?} exists in this database")]
    NotFound { kind: &'static str, id: String },
    /// A request the data forbids, with the reason and what to do.
    #[error("{0}")]
    Refused(String),
    /// A request whose named argument is wrong given what the database holds.
    #[error("{message}")]
    Invalid { attr: &'static str, message: String },
    /// Another allocation of the pool has this name.
    #[error("the name {name:?} is already used in the pool {pool_id} by {id} ({cidr})")]
    NameTaken {
        name: String,
        pool_id: String,
        id: String,
        cidr: engine::Cidr,
    },
    /// A pool cannot be deleted while it holds child pools, provisioned CIDRs or allocations
    /// (reservations do not count): each is named, so the user can tell what blocks it.
    #[error("the pool {pool_id} still has {} child pool(s){}, {} provisioned CIDR(s){} and {} allocation(s){}; remove them first, or set cascade = true to delete them with the pool",
        child_pools.len(), named(child_pools), cidrs.len(), named(cidrs), allocations.len(), named(allocations))]
    PoolInUse {
        pool_id: String,
        child_pools: Vec<String>,
        cidrs: Vec<engine::Cidr>,
        allocations: Vec<String>,
    },
    /// Another writer held the lock longer than the busy timeout. On PostgreSQL, `holders`
    /// names the sessions that held the store's locks once the wait ended (role and process
    /// id), so an administrator can find, or end, a session that holds them for too long.
    #[error("the database is busy: another writer held it longer than the lock timeout{}", holders.as_ref().map(|h| format!(" (held by {h})")).unwrap_or_default())]
    Busy { holders: Option<String> },
    /// The file (or its directory) cannot be written.
    #[error("the database is read-only")]
    ReadOnly,
    #[error("database error: {0}")]
    Sql(rusqlite::Error),
    /// A PostgreSQL error the store has no better word for (SQLSTATE `code`).
    #[error("database error: {message}")]
    Postgres { code: String, message: String },
    /// The database server cannot be reached, refused the login, or dropped the connection:
    /// nothing was written by the failed request.
    #[error("{0}")]
    Unavailable(String),
    /// A row's column did not hold what the store expected.
    #[error("database error: unexpected column value: {0}")]
    Column(String),
    /// A query that must return a row returned none (see `sql::OptionalExtension`).
    #[error("database error: the query returned no row")]
    NoRows,
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    /// The file was written by a newer provider: reading it could misread, writing could
    /// corrupt what the newer version relies on.
    #[error("the database {path} has schema version {found}, newer than the version {supported} this terraform-provider-ipam ({version}) understands; use the newer provider that wrote it")]
    NewerSchema {
        path: String,
        found: i64,
        supported: i64,
        version: &'static str,
    },
    /// The file or server database holds no IPAM schema, and the caller may not create one
    /// (a viewer, the command line): the message names it.
    #[error("{0}")]
    NotIpam(String),
    /// This SQLite file was copied into another database by `migrate --to` and retired: a
    /// write here could hand out a block the new database has already given someone else.
    /// `url` is the new database's URL without its password; `at` when it moved.
    #[error("this database file was migrated to {url} on {} (terraform-provider-ipam migrate) and no longer takes changes, so that no block is handed out twice: set the provider's `database` (or IPAM_DATABASE, or --database) to {url}", tfplug::time::rfc3339_utc(*.at, None))]
    Moved { url: String, at: i64 },
    /// The database contradicts itself (found by a check that should never fail); the
    /// message says what and how to repair it.
    #[error("{0}")]
    Inconsistent(String),
    /// PostgreSQL's exclusion constraint refused to store two overlapping allocations of one
    /// pool: the pool's free index offered a block an allocation holds. A change to one pool
    /// ([`Store::write_pool`]) then rebuilds that pool's index and runs once more.
    #[error("{0}")]
    StoredOverlap(String),
    /// The server committed the change but did not confirm it durable in time (a synchronous
    /// standby that does not answer): success is not reported for what a failover could lose.
    #[error("the database server committed the change but did not confirm it durable within {seconds} s ({why}), so it is not reported as done; check the server's synchronous standbys (synchronous_standby_names); once they answer, `terraform apply` allocates again and `terraform-provider-ipam orphans --state <the state file> --release` frees the unconfirmed block")]
    NotDurable { seconds: u64, why: String },
}

impl Error {
    /// A change the server committed that no synchronous standby confirmed within `bound`.
    pub(crate) fn not_confirmed(bound: Duration) -> Error {
        Error::NotDurable {
            seconds: bound.as_secs(),
            why: "no synchronous standby confirmed it".into(),
        }
    }
}

/// SQLite's busy and read-only conditions are facts callers word for users; the rest is SQL.
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                Error::Busy { holders: None }
            }
            Some(ErrorCode::ReadOnly) => Error::ReadOnly,
            _ => Error::Sql(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// " (a, b, c)" for a short list, " (a, b, c, … and 7 more)" for a long one, "" for none.
fn named<T: std::fmt::Display>(items: &[T]) -> String {
    const SHOWN: usize = 5;
    if items.is_empty() {
        return String::new();
    }
    let mut s: Vec<String> = items.iter().take(SHOWN).map(T::to_string).collect();
    if items.len() > SHOWN {
        s.push(format!("… and {} more", items.len() - SHOWN));
    }
    format!(" ({})", s.join(", "))
}

pub struct Store {
    conn: Mutex<Conn>,
    /// The provider-owned IPv6 space public pools draw from (stands in for Amazon's).
    provided_ipv6: engine::Cidr,
}

impl Store {
    /// Opens (creating and migrating as needed) the database at `path`. A file or directory
    /// without write permission is opened read-only: reads work, writes are refused. A path
    /// that is a `postgres://` URL opens that server (see [`Store::open_database`]).
    pub fn open(path: &Path, provided_ipv6: engine::Cidr) -> Result<Store> {
        Store::open_with_lock_timeout(path, provided_ipv6, Duration::from_secs(60))
    }

    /// [`Store::open`], waiting at most `lock_timeout` for another writer (then [`Error::Busy`]).
    pub fn open_with_lock_timeout(
        path: &Path,
        provided_ipv6: engine::Cidr,
        lock_timeout: Duration,
    ) -> Result<Store> {
        if let Some(url) = path.to_str().filter(|p| pg::is_url(p)) {
            return Store::open_database(url, provided_ipv6, lock_timeout);
        }
        Ok(Store {
            conn: Mutex::new(Conn::Sqlite(open::connect(path, lock_timeout)?)),
            provided_ipv6,
        })
    }

    /// Opens `database`: a `postgres://` (or `postgresql://`) URL, else a SQLite file path
    /// (`sqlite://` prefix optional). The PostgreSQL schema is created or migrated on first use.
    pub fn open_database(
        database: &str,
        provided_ipv6: engine::Cidr,
        lock_timeout: Duration,
    ) -> Result<Store> {
        if !pg::is_url(database) {
            let path = database.strip_prefix("sqlite://").unwrap_or(database);
            return Store::open_with_lock_timeout(Path::new(path), provided_ipv6, lock_timeout);
        }
        let mut conn = pg::PgConn::open(database, lock_timeout, false)?;
        migrate::migrate_pg(&mut conn).map_err(|e| conn.name_lock_holders(e))?;
        Ok(Store {
            conn: Mutex::new(Conn::Pg(Box::new(conn))),
            provided_ipv6,
        })
    }

    /// Which backend this store runs on.
    pub fn dialect(&self) -> sql::Dialect {
        match &*self.conn.lock().unwrap_or_else(|e| e.into_inner()) {
            Conn::Sqlite(_) => sql::Dialect::Sqlite,
            Conn::Pg(_) => sql::Dialect::Postgres,
        }
    }

    pub fn provided_ipv6(&self) -> engine::Cidr {
        self.provided_ipv6
    }

    /// Runs `f` in one write transaction holding the write lock: committed when it returns
    /// Ok, rolled back (nothing written) when it returns Err. On PostgreSQL a serialization
    /// failure or deadlock runs `f` again, a few times.
    /// This is for changes to the database's structure (IPAMs, scopes, pools, their CIDRs):
    /// on PostgreSQL it excludes every other writer. Changes to one pool's allocations use
    /// [`Store::write_pool`].
    fn write<T>(&self, f: impl FnMut(&Tx) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        backend::transaction(&mut conn, backend::Mode::Write, backend::Lock::All, f)
    }

    /// [`Store::write`] for a change to the allocations of one pool: on PostgreSQL it excludes
    /// only other writers of that pool and structural changes (see [`backend`]).
    ///
    /// On PostgreSQL the allocator does not read the pool's allocations to check the free
    /// index's offer (a round trip while the pool's writers wait): the exclusion constraint
    /// checks it as the allocation is written. When it refuses ([`Error::StoredOverlap`]), the
    /// change has rolled back; the pool's index is rebuilt from its allocations (audited as
    /// `actor`'s repair) and the change runs once more, as SQLite's in-transaction check does.
    fn write_pool<T>(
        &self,
        actor: &Actor,
        pool_id: &str,
        mut f: impl FnMut(&Tx) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let lock = backend::Lock::Pool(pool_id);
        match backend::transaction(&mut conn, backend::Mode::Write, lock, &mut f) {
            Err(overlap @ Error::StoredOverlap(_)) => {
                let rebuilt = backend::transaction(&mut conn, backend::Mode::Write, lock, |tx| {
                    verify::rebuild_pool(tx, actor, pool_id)
                })?;
                if !rebuilt {
                    return Err(overlap);
                }
                backend::transaction(&mut conn, backend::Mode::Write, lock, f)
            }
            out => out,
        }
    }

    /// [`Store::write_pool`] for the pool of the allocation `id`.
    fn write_allocation<T>(&self, id: &str, f: impl FnMut(&Tx) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        backend::transaction(
            &mut conn,
            backend::Mode::Write,
            backend::Lock::PoolOf(id),
            f,
        )
    }

    /// Runs `f` as a write and rolls it back whatever it returns: what a change would refuse,
    /// found at plan time without writing anything.
    fn dry_run<T>(&self, f: impl FnMut(&Tx) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        backend::transaction(&mut conn, backend::Mode::DryRun, backend::Lock::All, f)
    }

    /// Runs `f` in a read transaction: a consistent snapshot, no write lock.
    fn read<T>(&self, f: impl FnMut(&Tx) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        backend::transaction(&mut conn, backend::Mode::Read, backend::Lock::All, f)
    }
}

/// An AWS-style id: the prefix and 17 lowercase hex digits.
pub fn new_id(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // RandomState is seeded from the OS per process; the counter and clock separate calls.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(now_nanos());
    h.write_u32(std::process::id());
    let hi = h.finish();
    format!(
        "{prefix}-{:017x}",
        (u128::from(hi) << 8 | (now_nanos() & 0xff)) & ((1u128 << 68) - 1)
    )
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

pub(crate) fn now_secs() -> i64 {
    (now_nanos() / 1_000_000_000) as i64
}
