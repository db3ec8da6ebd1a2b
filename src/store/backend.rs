//! What differs between the backends, and nothing else: the connection, how a transaction
//! begins and ends, and how writers exclude each other.
//!
//! - **SQLite**: a write is `BEGIN IMMEDIATE`: the file's one write lock, taken before the first
//!   read, so two writers never interleave. A read is a deferred (snapshot) transaction.
//! - **PostgreSQL**: a write is a READ COMMITTED transaction that first takes a
//!   transaction-scoped advisory lock ([`WRITE_LOCK`]), released by COMMIT or ROLLBACK (also
//!   when the connection dies). Every write therefore reads the free index and allocations
//!   after the previous writer committed: the same serial order SQLite gives, on a server many
//!   machines share. The `allocations_no_overlap` exclusion constraint is the second guard.
//!   A read is `REPEATABLE READ READ ONLY`: one snapshot, never blocked by writers.
//!   A serialization failure or deadlock runs the transaction again (at most [`ATTEMPTS`]
//!   times); a connection the server dropped is reopened by the next transaction.

use super::pg::{self, PgConn};
use super::sql::{PgSession, Tx};
use super::{Error, Result};
use rusqlite::{Connection, TransactionBehavior};

/// An open database of either kind.
pub(crate) enum Conn {
    Sqlite(Connection),
    Pg(Box<PgConn>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Read,
    Write,
    /// A write that is always rolled back (plan-time checks).
    DryRun,
}

/// The advisory lock key every PostgreSQL write transaction holds ("IPAM" in ASCII).
pub const WRITE_LOCK: i64 = 0x4950_414d;

/// How often a transaction runs when PostgreSQL reports a serialization failure or deadlock.
pub const ATTEMPTS: usize = 5;

/// Runs `f` in one transaction of `mode` on `conn`.
pub(crate) fn transaction<T>(
    conn: &mut Conn,
    mode: Mode,
    mut f: impl FnMut(&Tx) -> Result<T>,
) -> Result<T> {
    match conn {
        Conn::Sqlite(c) => sqlite(c, mode, &mut f),
        Conn::Pg(c) => {
            let mut attempt = 1;
            loop {
                match postgres(c, mode, &mut f) {
                    Err(e) if attempt < ATTEMPTS && pg::retryable(&e) => {
                        std::thread::sleep(std::time::Duration::from_millis(5 * attempt as u64));
                        attempt += 1;
                    }
                    out => return out,
                }
            }
        }
    }
}

fn sqlite<T>(c: &mut Connection, mode: Mode, f: &mut impl FnMut(&Tx) -> Result<T>) -> Result<T> {
    let behavior = match mode {
        Mode::Read => TransactionBehavior::Deferred,
        Mode::Write | Mode::DryRun => TransactionBehavior::Immediate,
    };
    let t = c.transaction_with_behavior(behavior)?;
    let out = f(&Tx::sqlite(&t));
    match (mode, out) {
        (Mode::Write, Ok(v)) => {
            t.commit()?;
            Ok(v)
        }
        (Mode::DryRun, out) => {
            t.rollback()?;
            out
        }
        // Dropping the transaction rolls it back.
        (_, out) => out,
    }
}

fn postgres<T>(c: &mut PgConn, mode: Mode, f: &mut impl FnMut(&Tx) -> Result<T>) -> Result<T> {
    let (client, cache) = c.client()?;
    let begin = match mode {
        Mode::Read => client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start(),
        Mode::Write | Mode::DryRun => client.transaction(),
    };
    let t = begin.map_err(Error::from)?;
    let tx = Tx::pg(PgSession { tx: t, cache });
    if mode != Mode::Read {
        tx.query_row("SELECT pg_advisory_xact_lock(?1)", [WRITE_LOCK], |_| Ok(()))?;
    }
    let out = f(&tx);
    let t = tx.into_pg().expect("a PostgreSQL transaction");
    match (mode, out) {
        (Mode::Write, Ok(v)) => {
            t.commit().map_err(Error::from)?;
            Ok(v)
        }
        (_, out) => {
            // A rollback that fails (the connection is gone) rolled back on the server anyway.
            let _ = t.rollback();
            out
        }
    }
}
