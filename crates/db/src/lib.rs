//! The database layer: connections, transactions, the two dialects (a SQLite file, a
//! PostgreSQL server), durability, and the migration runner.
//!
//! This is the only crate that names a database driver, and no driver type crosses its API:
//! callers see [`Database`], [`Tx`], [`Row`], [`Value`] and [`Error`]. It knows no table and
//! no rule of the IPAM: the schema arrives as a [`Schema`] of steps, locks are keys, and a
//! commit whose answer was lost is recognised by [`Witness`] queries the caller supplies.
//!
//! # Invariants
//! - Every write is one transaction that takes its lock before its first read: SQLite's file
//!   lock (`BEGIN IMMEDIATE`), or PostgreSQL advisory locks ([`Lock`]). A refused body leaves
//!   nothing behind.
//! - A write is reported committed only once durable: SQLite `synchronous = FULL` unless the
//!   operator opts out ([`SQLITE_SYNCHRONOUS_VAR`]); PostgreSQL flushed and confirmed by every
//!   synchronous standby, within the lock timeout, else [`Error::NotDurable`].
//! - Which backend a database string names is decided once, by [`Location::parse`].

mod dialect;
mod error;
pub mod locks;
pub mod migrate;
mod pg;
mod sqlite;
mod transaction;
mod tx;
mod value;

pub use error::{DbFailure, Error, Result};

/// The drivers themselves, for tests that attack a database from outside with plain SQL, as
/// another client would (feature `test-clients`, which only the tests enable): so that even
/// they name a driver through this crate, the one that owns them.
#[cfg(feature = "test-clients")]
pub mod drivers {
    pub use postgres;
    pub use rusqlite;
}
pub use migrate::Schema;
pub use pg::redact;
pub use sqlite::SYNCHRONOUS_VAR as SQLITE_SYNCHRONOUS_VAR;
pub use transaction::{Lock, Mode};
pub use tx::{Dialect, Stmt, Tx, Witness};
pub use value::{FromValue, Idx, OptionalExtension, Param, Params, Row, Value};

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use transaction::Conn;

/// Where a database is: decided once, from the string a user wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server: the URL as written (with its password, if any).
    Postgres(String),
}

impl Location {
    /// A `postgres://` or `postgresql://` URL names a server; anything else is a file path,
    /// with an optional `sqlite://` prefix.
    pub fn parse(database: &str) -> Location {
        if pg::is_url(database) {
            Location::Postgres(database.to_string())
        } else {
            let path = database.strip_prefix("sqlite://").unwrap_or(database);
            Location::Sqlite(PathBuf::from(path))
        }
    }

    /// [`Location::parse`] of a path given as such (a path that is a URL still names a server).
    pub fn of_path(path: &Path) -> Location {
        match path.to_str() {
            Some(s) if pg::is_url(s) => Location::Postgres(s.to_string()),
            _ => Location::Sqlite(path.to_path_buf()),
        }
    }

    /// Whether the location can be opened as written: a server URL must parse (its
    /// settings, its `sslmode`); a path is checked when opened.
    pub fn check(&self) -> Result<()> {
        match self {
            Location::Sqlite(_) => Ok(()),
            Location::Postgres(url) => pg::Target::parse(url).map(|_| ()),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Location::Postgres(_))
    }

    /// What to show: the file's path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => redact(url),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// An open database of either backend. Transactions run one at a time per `Database` (one
/// connection); open several for parallel work.
pub struct Database {
    conn: Mutex<Conn>,
    location: Location,
}

impl Database {
    /// Opens the database at `location`, creating it (a file) or its schema (a server) and
    /// bringing the schema forward as needed. A file or directory without write permission is
    /// opened read-only: reads work, writes fail with [`Error::ReadOnly`]. `lock_timeout`
    /// bounds every wait for another writer, and on PostgreSQL the wait for durability.
    pub fn open(location: &Location, schema: &Schema, lock_timeout: Duration) -> Result<Database> {
        let conn = match location {
            Location::Sqlite(path) => Conn::Sqlite(sqlite::connect(path, lock_timeout, schema)?),
            Location::Postgres(url) => {
                let mut conn = pg::PgConn::open(url, lock_timeout, false)?;
                migrate::migrate_pg(&mut conn, schema).map_err(|e| conn.name_lock_holders(e))?;
                Conn::Pg(Box::new(conn))
            }
        };
        Ok(Database {
            conn: Mutex::new(conn),
            location: location.clone(),
        })
    }

    /// Opens an existing database without write access: nothing done through it can change
    /// it, and it is not migrated (an older schema is read as far as it goes; a newer one is
    /// refused). `Ok(None)`: the database holds no schema at all.
    pub fn open_read_only(location: &Location, schema: &Schema) -> Result<Option<Database>> {
        let lock_timeout = Duration::from_secs(60);
        let conn = match location {
            Location::Sqlite(path) => {
                match sqlite::connect_read_only(path, lock_timeout, schema)? {
                    Some(c) => Conn::Sqlite(c),
                    None => return Ok(None),
                }
            }
            Location::Postgres(url) => {
                let mut conn = pg::PgConn::open(url, lock_timeout, true)?;
                let Some(found) = migrate::pg_version(&mut conn)? else {
                    return Ok(None);
                };
                if found > schema.latest() {
                    return Err(Error::NewerSchema {
                        database: conn.display().to_string(),
                        found,
                        supported: schema.latest(),
                    });
                }
                Conn::Pg(Box::new(conn))
            }
        };
        Ok(Some(Database {
            conn: Mutex::new(conn),
            location: location.clone(),
        }))
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Which backend this database runs on.
    pub fn dialect(&self) -> Dialect {
        match &*self.conn.lock().unwrap_or_else(|e| e.into_inner()) {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Pg(_) => Dialect::Postgres,
        }
    }

    /// Runs `f` in one transaction: committed (durably) when it returns `Ok` in
    /// [`Mode::Write`], rolled back otherwise. On PostgreSQL a serialization failure or
    /// deadlock runs `f` again (a few times), as does a connection found dead before COMMIT
    /// was sent, so `f` must be repeatable.
    pub fn transaction<T, E: DbFailure>(
        &self,
        mode: Mode,
        lock: Lock,
        f: impl FnMut(&Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        transaction::transaction(&mut conn, mode, lock, f)
    }
}
