//! Opening a database file: read-write when it can be written, read-only otherwise, so that
//! configurations that only read (data sources, refresh, a plan with no changes) work on a
//! file a person made read-only (`chmod 444`, or a read-only directory).

use crate::error::open_error;
use crate::migrate::{self, Schema};
use crate::value::Value;
use crate::{Error, Result};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// How the file can be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    ReadWrite,
    /// Reads only; SQLite may still create its shared-memory file next to the database.
    ReadOnly,
    /// Reads only, and nothing may be created beside the file: a WAL database in a read-only
    /// directory whose `-shm` file is gone. Nobody can write the file then either.
    Immutable,
}

/// Read-only when the permission bits say so, also for root (who could write anyway): a
/// person who ran `chmod 444` means "do not write this".
fn access(path: &Path) -> Access {
    let Ok(meta) = std::fs::metadata(path) else {
        return Access::ReadWrite;
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir_readonly = std::fs::metadata(dir).is_ok_and(|m| m.permissions().readonly());
    if !meta.permissions().readonly() && !dir_readonly {
        return Access::ReadWrite;
    }
    let mut shm = path.as_os_str().to_owned();
    shm.push("-shm");
    if dir_readonly && !Path::new(&shm).exists() {
        Access::Immutable
    } else {
        Access::ReadOnly
    }
}

/// `file:` URI of `path` with `immutable=1`, escaping what a URI would misread.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for ch in path.display().to_string().chars() {
        match ch {
            '%' | '?' | '#' => uri.push_str(&format!("%{:02X}", ch as u32)),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

fn open_with(path: &Path, access: Access, lock_timeout: Duration) -> rusqlite::Result<Connection> {
    let ro = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = match access {
        Access::ReadWrite => Connection::open(path)?,
        Access::ReadOnly => Connection::open_with_flags(path, ro)?,
        Access::Immutable => {
            Connection::open_with_flags(immutable_uri(path), ro | OpenFlags::SQLITE_OPEN_URI)?
        }
    };
    // Before the first read: another process creating or migrating the file holds a lock.
    conn.busy_timeout(lock_timeout)?;
    // The first read is where SQLite finds it cannot create the WAL's shared-memory file.
    conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })?;
    Ok(conn)
}

/// The variable that trades durability for speed ([`synchronous`]).
pub const SYNCHRONOUS_VAR: &str = "IPAM_SQLITE_SYNCHRONOUS";

/// How SQLite waits for the disk when a change commits. `FULL`, the default, syncs the
/// write-ahead log at every commit: a change Terraform was told about survives a power loss or
/// an operating system crash. `NORMAL` syncs only when the log is checkpointed: a change
/// survives a crash of the process, but the last ones before a power loss may roll back, and
/// Terraform's state would then name allocations the database no longer holds. Those who
/// accept that for speed set `IPAM_SQLITE_SYNCHRONOUS=normal` (docs/index.md).
fn synchronous(var: Option<String>) -> Result<&'static str> {
    match var {
        None => Ok("FULL"),
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "" | "full" => Ok("FULL"),
            "normal" => Ok("NORMAL"),
            _ => Err(Error::Config(format!(
                "{SYNCHRONOUS_VAR}={v:?} is not one of full (the default: every commit reaches the disk) or normal (faster; the last commits before a power loss may roll back)"
            ))),
        },
    }
}

/// Opens, configures and migrates the database at `path`.
pub(crate) fn connect(path: &Path, lock_timeout: Duration, schema: &Schema) -> Result<Connection> {
    let shown = path.display().to_string();
    let open_err = |e| open_error(&shown, e);
    let mode = access(path);
    let mut conn = match open_with(path, mode, lock_timeout) {
        Ok(c) => c,
        // Not writable for this user although the permission bits allow it (another owner):
        // SQLite cannot create the WAL's files beside it, so read it as it is. Only then: a
        // busy or damaged file must not be read as immutable.
        Err(e)
            if mode != Access::Immutable
                && path.exists()
                && matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
                ) =>
        {
            open_with(path, Access::Immutable, lock_timeout).map_err(open_err)?
        }
        Err(e) => return Err(open_err(e)),
    };
    if !conn.is_readonly(rusqlite::MAIN_DB).map_err(open_err)? {
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {};",
            synchronous(std::env::var(SYNCHRONOUS_VAR).ok())?
        ))
        .map_err(open_err)?;
    }
    conn.execute_batch("PRAGMA foreign_keys = ON;")
        .map_err(open_err)?;
    // Without the query planner stability guarantee, SQLite marks statements whose plan
    // could depend on a bound value (an `= ?` it might compare with 0 or 1) for re-preparing,
    // and rusqlite's statement cache clears bindings on every return, which expires them: every
    // cached statement would be parsed and planned again on each use. Every query here is an
    // indexed lookup whose plan does not depend on the values.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(open_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    migrate::migrate_sqlite(&mut conn, &shown, schema)?;
    Ok(conn)
}

/// Opens an existing file without write access, and without migrating it: the schema must be
/// there already (`Ok(None)` when it is not) and not newer than `schema`'s.
pub(crate) fn connect_read_only(
    path: &Path,
    lock_timeout: Duration,
    schema: &Schema,
) -> Result<Option<Connection>> {
    let shown = path.display().to_string();
    let open_err = |e| open_error(&shown, e);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_err)?;
    conn.busy_timeout(lock_timeout).map_err(open_err)?;
    conn.execute_batch("PRAGMA query_only = ON;")
        .map_err(open_err)?;
    let Some(version) = migrate::sqlite_version(&conn).map_err(open_err)? else {
        return Ok(None);
    };
    if version > schema.latest() {
        return Err(Error::NewerSchema {
            database: shown,
            found: version,
            supported: schema.latest(),
        });
    }
    Ok(Some(conn))
}

pub(crate) fn from_sqlite(v: rusqlite::types::Value) -> Value {
    use rusqlite::types::Value as V;
    match v {
        V::Null => Value::Null,
        V::Integer(i) => Value::Int(i),
        V::Real(f) => Value::Text(f.to_string()),
        V::Text(t) => Value::Text(t),
        V::Blob(b) => Value::Blob(b),
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default is the durable setting; the opt-out is honoured; a typo is refused, not
    /// read as either.
    #[test]
    fn commits_wait_for_the_disk_unless_told_otherwise() {
        let dir = std::env::temp_dir().join(format!("ipam-sync-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        if std::env::var_os(SYNCHRONOUS_VAR).is_none() {
            let schema = Schema {
                sqlite: &["CREATE TABLE t (x INTEGER)"],
                postgres: &["CREATE TABLE t (x BIGINT)"],
            };
            let conn = connect(&dir.join("a.db"), Duration::from_secs(1), &schema).unwrap();
            let level: i64 = conn
                .query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap();
            assert_eq!(level, 2, "FULL by default");
        }
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(synchronous(None).unwrap(), "FULL");
        assert_eq!(synchronous(Some("Normal".into())).unwrap(), "NORMAL");
        assert_eq!(synchronous(Some("full".into())).unwrap(), "FULL");
        let e = synchronous(Some("sometimes".into())).unwrap_err();
        assert!(e.to_string().contains("IPAM_SQLITE_SYNCHRONOUS"), "{e}");
    }

    /// Busy and read-only are the same facts whether SQLite reports them while opening or
    /// during a change.
    #[test]
    fn busy_and_read_only_are_facts_at_open_and_during_a_change() {
        let sqlite = |code| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        for (code, busy) in [
            (rusqlite::ffi::SQLITE_BUSY, true),
            (rusqlite::ffi::SQLITE_LOCKED, true),
            (rusqlite::ffi::SQLITE_READONLY, false),
        ] {
            for e in [Error::from(sqlite(code)), open_error("x.db", sqlite(code))] {
                match e {
                    Error::Busy { holders: None } => assert!(busy),
                    Error::ReadOnly => assert!(!busy),
                    other => panic!("{other:?}"),
                }
            }
        }
        assert!(matches!(
            open_error("x.db", sqlite(rusqlite::ffi::SQLITE_NOTADB)),
            Error::NotADatabase { .. }
        ));
    }

    #[test]
    fn uri_escapes_what_a_uri_would_misread() {
        assert_eq!(
            immutable_uri(Path::new("/a b/x%?#.db")),
            "file:/a b/x%25%3F%23.db?immutable=1"
        );
    }
}
