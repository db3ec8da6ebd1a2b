//! The IPAM's core: the model, one repository per table, the rules, and the operations a user
//! can perform. One logic over two backends ([`ipam_db`]); the engine ([`ipam_engine`]) decides
//! placement, this crate keeps records and enforces who may do what.
//!
//! One database is shared by every Terraform configuration (and process) that points at it.
//! Every change is one transaction that first takes its lock (the whole database, or one
//! pool's allocations, see [`ipam_db::Lock`]), so concurrent runs queue instead of racing, and
//! a refused request leaves nothing behind.
//!
//! # Invariants
//! - Never words a Terraform attribute or a remedy: refusals are typed facts ([`Error`],
//!   [`Field`]); the caller (the provider, the CLI) says which attribute and what to do.
//! - Never names a database driver: SQL goes through [`ipam_db::Tx`].
//! - Who may do what is decided in one place, [`authority`], by an exhaustive match over
//!   [`authority::Action`], inside the transaction that makes the change.
//!
//! # Writing a repository function (for both backends)
//!
//! 1. Take `tx: &Tx` and write the SQL once with `?1`, `?2`… parameters; PostgreSQL receives
//!    them as `$1`, `$2`. Bind with `params![..]` or an array, read with `row.get::<_, T>(i)`
//!    (`i64`, `bool`, `String`, `Vec<u8>`, `Option<_>`), and use `.optional()` for "at most one
//!    row". Only integers, text, bytes and NULL cross.
//! 2. Use SQL both dialects share: no `sqlite_master`, no `IFNULL` (use `COALESCE`), no
//!    `GROUP_CONCAT`; cast aggregates that PostgreSQL widens (`CAST(SUM(x) AS BIGINT)`). For the
//!    rare statement that must differ, branch on `tx.dialect()`.
//! 3. Expose it on [`Store`] through `self.write_pool(actor, pool_id, |tx| ..)` (a change to one
//!    pool's allocations), `self.write(|tx| ..)` (any other change: excludes every writer),
//!    `self.read` (a snapshot) or `self.dry_run` (a plan-time check that is always rolled
//!    back). A write may run again after a serialization failure or deadlock, so its closure
//!    must be repeatable (clone what it consumes).
//! 4. A new table or column: append a step to both lists in [`migrate`] (SQLite and PostgreSQL
//!    spellings, same version number); PostgreSQL integers are `BIGINT`, bytes `BYTEA`.
//! 5. Row loaders live in [`rows`]; every module takes them from there (no import circles).

mod allocation;
mod audit;
pub mod authority;
mod aws;
mod copy;
mod discovery;
pub mod free;
mod history;
mod ipam;
pub mod migrate;
mod model;
mod moved;
mod organization;
mod origin;
mod planning;
mod pool;
mod pool_cidr;
mod reach;
mod recovery;
mod reservation;
mod rows;
mod share;
mod utilization;
mod verify;
pub mod view;

pub use allocation::AllocationSpec;
pub use audit::AuditEvent;
pub use authority::{Action, Refusal, Role};
pub use copy::{CopyReport, Divergence};
pub use discovery::{Discovery, DiscoveryAssociation, DiscoverySpec, Scan, ScanError};
pub use history::HistoryPoint;
pub use ipam_db::{Dialect, Location, SQLITE_SYNCHRONOUS_VAR};
pub use ipam_discovery::terraform_dir::local_state_file;
pub use model::*;
pub use origin::Origin;
pub use planning::SourceResource;
pub use pool::{PoolSpec, PoolUpdate};
pub use reach::{Organization, OrganizationAccount, OrganizationalUnit, ResourceShare};
pub use share::{id_of, ShareSpec};
pub use utilization::{percent as utilization_percent, CidrUsage, Utilization, UtilizationTarget};
pub use verify::Fault;

use ipam_db::{Database, Lock, Mode, Tx};
use ipam_engine as engine;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;
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
    Engine(engine::Error),
    #[error("no {kind} with id {id:?} exists in this database")]
    NotFound { kind: &'static str, id: String },
    /// A request the data forbids, with the reason.
    #[error("{0}")]
    Refused(String),
    /// A request the data forbids until something else is done first ([`Remedy`]).
    #[error("{fact}")]
    Blocked { fact: String, remedy: Remedy },
    /// The account may not do this (see [`authority`]).
    #[error(transparent)]
    NotAuthorized(authority::Refusal),
    /// A request whose `field` is wrong given what the database holds.
    #[error("{message}")]
    Invalid {
        field: Field,
        message: String,
        remedy: Option<Remedy>,
    },
    /// The pool serves one region (`locale`), and the allocation is for another.
    #[error("the pool {pool_id} has locale {locale:?}, but the allocation is for the region {region:?}: an allocation (a VPC's or a custom one) may only take a CIDR from a pool of its own region")]
    WrongLocale {
        pool_id: String,
        locale: String,
        region: String,
    },
    /// A pool's source resource names a VPC the database knows otherwise.
    #[error("the VPC {vpc} {}", match what {
        SourceFact::Pool => format!("took its CIDR from the pool {found}, not from the source pool {given}"),
        SourceFact::Owner => format!("belongs to the account {found}, not {given}"),
        SourceFact::Region => format!("is in the region {found}, not {given}"),
    })]
    SourceMismatch {
        vpc: String,
        what: SourceFact,
        found: String,
        given: String,
    },
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
    #[error("the pool {pool_id} still has {} child pool(s){}, {} provisioned CIDR(s){} and {} allocation(s){}",
        child_pools.len(), named(child_pools), cidrs.len(), named(cidrs), allocations.len(), named(allocations))]
    PoolInUse {
        pool_id: String,
        child_pools: Vec<String>,
        cidrs: Vec<engine::Cidr>,
        allocations: Vec<String>,
    },
    /// The database failed (busy, read-only, unreachable, not confirmed durable…): facts
    /// the caller words for the user.
    #[error(transparent)]
    Db(ipam_db::Error),
    /// The file or server database holds no IPAM schema, and the caller may not create one
    /// (a viewer, the command line).
    #[error("{database} is not an IPAM database (it has no schema version)")]
    NotIpam { database: String },
    /// This SQLite file was copied into another database by `migrate --to` and retired: a
    /// write here could hand out a block the new database has already given someone else.
    /// `url` is the new database's URL without its password; `at` when it moved.
    #[error("this database file was migrated to {url} and takes no more changes, so that no block is handed out twice")]
    Moved { url: String, at: i64 },
    /// The database contradicts itself (found by a check that should never fail).
    #[error("{0}")]
    Inconsistent(String),
    /// A pool's free index contradicts its CIDRs or allocations; the change was refused and
    /// nothing written ([`Remedy::RepairIndex`] mends it).
    #[error("{0}")]
    DamagedIndex(String),
    /// The database's constraint refused to store two overlapping allocations of one pool:
    /// the pool's free index offered a block an allocation holds. A change to one pool
    /// ([`Store::write_pool`]) then rebuilds that pool's index and runs once more.
    #[error("refusing to store overlapping allocations in one pool: {0}")]
    StoredOverlap(String),
}

/// The constraints that refuse two allocations of one pool that overlap (or start alike).
const OVERLAP_CONSTRAINTS: [&str; 2] = ["allocations_no_overlap", "allocations_by_start"];

impl From<ipam_db::Error> for Error {
    fn from(e: ipam_db::Error) -> Self {
        match e {
            ipam_db::Error::Conflict {
                constraint,
                message,
            } if OVERLAP_CONSTRAINTS.contains(&constraint.as_str()) => {
                Error::StoredOverlap(message)
            }
            // A guard trigger's refusal is a rule's refusal, worded by the rule.
            ipam_db::Error::Denied(message) => {
                Error::Refused(format!("the database refused: {message}"))
            }
            e => Error::Db(e),
        }
    }
}

impl ipam_db::DbFailure for Error {
    fn as_db(&self) -> Option<&ipam_db::Error> {
        match self {
            Error::Db(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ipam_engine::Error> for Error {
    fn from(e: ipam_engine::Error) -> Self {
        Error::Engine(e)
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
    db: Database,
    /// The provider-owned IPv6 space public pools draw from (stands in for Amazon's).
    provided_ipv6: engine::Cidr,
}

/// The lock of the pool an allocation belongs to (no allocation, no lock: the change then
/// finds nothing to change).
const POOL_OF_ALLOCATION: &str = "SELECT pool_id FROM allocations WHERE id = ?1";

impl Store {
    /// Opens (creating and migrating as needed) the database at `path`. A file or directory
    /// without write permission is opened read-only: reads work, writes are refused. A path
    /// that is a `postgres://` URL opens that server.
    pub fn open(path: &Path, provided_ipv6: engine::Cidr) -> Result<Store> {
        Store::open_with_lock_timeout(path, provided_ipv6, Duration::from_secs(60))
    }

    /// [`Store::open`], waiting at most `lock_timeout` for another writer.
    pub fn open_with_lock_timeout(
        path: &Path,
        provided_ipv6: engine::Cidr,
        lock_timeout: Duration,
    ) -> Result<Store> {
        Store::open_at(&Location::of_path(path), provided_ipv6, lock_timeout)
    }

    /// Opens `database`: a `postgres://` (or `postgresql://`) URL, else a SQLite file path
    /// (`sqlite://` prefix optional). The schema is created or migrated on first use.
    pub fn open_database(
        database: &str,
        provided_ipv6: engine::Cidr,
        lock_timeout: Duration,
    ) -> Result<Store> {
        Store::open_at(&Location::parse(database), provided_ipv6, lock_timeout)
    }

    /// Opens the database at `location`, creating or migrating its schema.
    pub fn open_at(
        location: &Location,
        provided_ipv6: engine::Cidr,
        lock_timeout: Duration,
    ) -> Result<Store> {
        Ok(Store {
            db: Database::open(location, &migrate::SCHEMA, lock_timeout)?,
            provided_ipv6,
        })
    }

    /// Which backend this store runs on.
    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    /// Where this store's database is.
    pub fn location(&self) -> &Location {
        self.db.location()
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
        self.change(Mode::Write, Lock::All, f)
    }

    /// A change in `mode` under `lock`. A file `migrate --to` retired takes no change
    /// (checked under the write lock, so a migration marking it meanwhile is seen).
    fn change<T>(&self, mode: Mode, lock: Lock, mut f: impl FnMut(&Tx) -> Result<T>) -> Result<T> {
        self.db.transaction(mode, lock, |tx| {
            moved::check(tx)?;
            f(tx)
        })
    }

    /// [`Store::write`] for a change to the allocations of one pool: on PostgreSQL it excludes
    /// only other writers of that pool and structural changes (see [`ipam_db::Lock`]).
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
        let lock = Lock::Key(pool_id);
        match self.change(Mode::Write, lock, &mut f) {
            Err(overlap @ Error::StoredOverlap(_)) => {
                let rebuilt = self.change(Mode::Write, lock, |tx| {
                    verify::rebuild_pool(tx, actor, pool_id)
                })?;
                if !rebuilt {
                    return Err(overlap);
                }
                self.change(Mode::Write, lock, f)
            }
            out => out,
        }
    }

    /// [`Store::write_pool`] for the pool of the allocation `id`.
    fn write_allocation<T>(&self, id: &str, f: impl FnMut(&Tx) -> Result<T>) -> Result<T> {
        let lock = Lock::KeyOf {
            query: POOL_OF_ALLOCATION,
            arg: id,
        };
        self.change(Mode::Write, lock, f)
    }

    /// Runs `f` as a write and rolls it back whatever it returns: what a change would refuse,
    /// found at plan time without writing anything.
    fn dry_run<T>(&self, f: impl FnMut(&Tx) -> Result<T>) -> Result<T> {
        self.change(Mode::DryRun, Lock::All, f)
    }

    /// Runs `f` in a read transaction: a consistent snapshot, no write lock.
    fn read<T>(&self, f: impl FnMut(&Tx) -> Result<T>) -> Result<T> {
        self.db.transaction(Mode::Read, Lock::All, f)
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

pub fn now_secs() -> i64 {
    (now_nanos() / 1_000_000_000) as i64
}
