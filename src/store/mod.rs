//! The SQLite store: schema, migrations, transactions; engine state in and out.
//!
//! One file is shared by every Terraform configuration (and process) that points at it.
//! Every mutation is one `BEGIN IMMEDIATE` transaction, so concurrent runs queue on SQLite's
//! write lock instead of racing, and a refused request leaves nothing behind. The store keeps
//! records; the engine decides.

mod allocation;
mod audit;
mod aws;
mod discovery;
pub mod free;
mod history;
mod ipam;
pub mod migrate;
mod model;
mod open;
mod organization;
mod origin;
mod planning;
mod pool;
mod pool_cidr;
mod recovery;
mod share;
mod utilization;
mod verify;
pub mod view;

pub use allocation::AllocationSpec;
pub use audit::AuditEvent;
pub use discovery::{Discovery, DiscoveryAssociation, DiscoverySpec, Scan, ScanError};
pub use history::HistoryPoint;
pub use model::*;
pub use organization::{Organization, OrganizationAccount, OrganizationalUnit};
pub use origin::Origin;
pub use planning::SourceResource;
pub use pool::{PoolSpec, PoolUpdate};
pub use share::{id_of, ResourceShare, ShareSpec};
pub use utilization::{percent as utilization_percent, CidrUsage, Utilization, UtilizationTarget};
pub use verify::Fault;

use crate::engine;
use rusqlite::{Connection, Transaction, TransactionBehavior};
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
    /// Another writer held the lock longer than the busy timeout.
    #[error("the database is busy: another writer held it longer than the lock timeout")]
    Busy,
    /// The file (or its directory) cannot be written.
    #[error("the database is read-only")]
    ReadOnly,
    #[error("database error: {0}")]
    Sql(rusqlite::Error),
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
    /// The database contradicts itself (found by a check that should never fail); the
    /// message says what and how to repair it.
    #[error("{0}")]
    Inconsistent(String),
}

/// SQLite's busy and read-only conditions are facts callers word for users; the rest is SQL.
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::Busy,
            Some(ErrorCode::ReadOnly) => Error::ReadOnly,
            _ => Error::Sql(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

pub struct Store {
    conn: Mutex<Connection>,
    /// The provider-owned IPv6 space public pools draw from (stands in for Amazon's).
    provided_ipv6: engine::Cidr,
}

impl Store {
    /// Opens (creating and migrating as needed) the database at `path`. A file or directory
    /// without write permission is opened read-only: reads work, writes are refused.
    pub fn open(path: &Path, provided_ipv6: engine::Cidr) -> Result<Store> {
        Store::open_with_lock_timeout(path, provided_ipv6, Duration::from_secs(60))
    }

    /// [`Store::open`], waiting at most `lock_timeout` for another writer (then [`Error::Busy`]).
    pub fn open_with_lock_timeout(
        path: &Path,
        provided_ipv6: engine::Cidr,
        lock_timeout: Duration,
    ) -> Result<Store> {
        Ok(Store {
            conn: Mutex::new(open::connect(path, lock_timeout)?),
            provided_ipv6,
        })
    }

    pub fn provided_ipv6(&self) -> engine::Cidr {
        self.provided_ipv6
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction: committed when it returns Ok, rolled back
    /// (nothing written) when it returns Err.
    fn write<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` as a write and rolls it back whatever it returns: what a change would refuse,
    /// found at plan time without writing anything.
    fn dry_run<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx);
        tx.rollback()?;
        out
    }

    /// Runs `f` in a read transaction: a consistent snapshot, no write lock.
    fn read<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        f(&tx)
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
