//! What differs between the backends, and nothing else: the connection, how a transaction
//! begins and ends, and how writers exclude each other.
//!
//! - **SQLite**: a write is `BEGIN IMMEDIATE`: the file's one write lock, taken before the first
//!   read, so two writers never interleave. A read is a deferred (snapshot) transaction.
//! - **PostgreSQL**: a write is a READ COMMITTED transaction whose first statement takes
//!   transaction-scoped advisory locks ([`Lock`]), released by COMMIT or ROLLBACK (also when the
//!   connection dies). A change to one pool's allocations (allocate, release, reserve, claim,
//!   update) holds that pool's lock exclusively and the database-wide [`WRITE_LOCK`] shared:
//!   changes to different pools run at once, changes to one pool queue. Every other change
//!   (IPAMs, scopes, pools, pool CIDRs, repairs) holds [`WRITE_LOCK`] exclusively. Since each
//!   statement after the lock reads what the previous holder committed, every change reads the
//!   free index and allocations as they stand: the serial order SQLite gives, on a server many
//!   machines share. The `allocations_no_overlap` exclusion constraint is the second guard.
//!   A read is `REPEATABLE READ READ ONLY`: one snapshot, never blocked by writers.
//!   A serialization failure or deadlock runs the transaction again (at most [`ATTEMPTS`]
//!   times); a connection the server dropped is reopened by the next transaction.

use super::pg::{self, PgConn};
use super::sql::{params, PgSession, Tx};
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

/// The advisory lock key every PostgreSQL write transaction holds, shared or exclusive
/// ("IPAM" in ASCII).
pub const WRITE_LOCK: i64 = 0x4950_414d;

/// The first of the two keys of a pool's advisory lock (the second is the hash of its id).
pub const POOL_LOCK_CLASS: i32 = 0x4950;

/// What a write transaction locks before it reads anything.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Lock<'a> {
    /// The whole database: structural changes.
    All,
    /// One pool's allocations.
    Pool(&'a str),
    /// The pool of the allocation with this id (the allocation's own pool, if it exists).
    PoolOf(&'a str),
}

/// How often a transaction runs when PostgreSQL reports a serialization failure or deadlock.
pub const ATTEMPTS: usize = 5;

/// Runs `f` in one transaction of `mode` on `conn`.
pub(crate) fn transaction<T>(
    conn: &mut Conn,
    mode: Mode,
    lock: Lock,
    mut f: impl FnMut(&Tx) -> Result<T>,
) -> Result<T> {
    match conn {
        Conn::Sqlite(c) => sqlite(c, mode, &mut f),
        Conn::Pg(c) => {
            let mut attempt = 1;
            loop {
                match postgres(c, mode, lock, &mut f) {
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

fn postgres<T>(
    c: &mut PgConn,
    mode: Mode,
    lock: Lock,
    f: &mut impl FnMut(&Tx) -> Result<T>,
) -> Result<T> {
    c.ensure_open()?;
    let begin = match mode {
        Mode::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        Mode::Write | Mode::DryRun => "BEGIN",
    };
    // BEGIN travels with the lock (or a read's first query): one round trip.
    // Under a pool's lock (`Store::write_pool`) the exclusion constraint's refusal is
    // repaired and run again; elsewhere the allocator checks by reading.
    let tx = Tx::pg(
        PgSession::new(c, begin),
        mode == Mode::Write && matches!(lock, Lock::Pool(_)),
    );
    let out = if mode == Mode::Read {
        f(&tx)
    } else {
        take(&tx, lock, mode == Mode::Write).and_then(|()| f(&tx))
    };
    let session = tx.into_pg().expect("a PostgreSQL transaction");
    match (mode, out) {
        (Mode::Write, Ok(v)) => {
            // The commit releases the locks without waiting for the disk; DURABLE, sent with
            // it, waits for the disk before the caller hears of success.
            session.commit_then(DURABLE)?.map_err(|e| {
                Error::Unavailable(format!(
                    "the change was committed, but the server did not confirm it reached its disk ({}); run `terraform-provider-ipam orphans` if Terraform did not record it",
                    pg::describe(&e)
                ))
            })?;
            Ok(v)
        }
        (_, out) => {
            session.rollback();
            out
        }
    }
}

/// A write commits with `synchronous_commit = off`, so its locks are released as soon as its
/// commit record is written, not after the disk has flushed it: writers of one pool queue for
/// the work of each change, not for the disk. Before reporting success the store then runs
/// this transaction, whose commit waits (with synchronous commit) until the log is flushed up
/// to its own commit record, which lies after the change's: the change is durable when the
/// caller hears of it, and concurrent writers share one flush (group commit). A crash in
/// between loses a change nobody was told had succeeded; changes that read it commit later in
/// the log, so they are lost with it, never kept without it.
pub const DURABLE: &str = "BEGIN; SELECT txid_current(); COMMIT";

/// Takes `lock` in `tx` (PostgreSQL), waiting at most the connection's `lock_timeout`.
/// The statements are deferred: they travel with BEGIN and the transaction's first reads, which
/// the server runs after them, so the reads see what the previous holder committed; a lock that
/// times out fails that first round trip ([`Error::Busy`]). `fast_commit` also sets this
/// transaction's commit not to wait for the disk (see [`DURABLE`]).
fn take(tx: &Tx, lock: Lock, fast_commit: bool) -> Result<()> {
    let commit = if fast_commit {
        "set_config('synchronous_commit', 'off', true), "
    } else {
        ""
    };
    // Left to right: the database-wide lock first, then the pool's.
    match lock {
        Lock::All => tx.defer(
            &format!("SELECT {commit}pg_advisory_xact_lock(?1)"),
            [WRITE_LOCK],
        ),
        Lock::Pool(id) => tx.defer(
            &format!(
                "SELECT {commit}pg_advisory_xact_lock_shared(?1), pg_advisory_xact_lock(?2, hashtext(?3))"
            ),
            params![WRITE_LOCK, POOL_LOCK_CLASS, id],
        ),
        // The allocation's pool is read after the shared lock, in a statement of its own (a
        // statement reads the snapshot of its start): no structural change can move it then.
        Lock::PoolOf(allocation) => {
            tx.defer(
                &format!("SELECT {commit}pg_advisory_xact_lock_shared(?1)"),
                [WRITE_LOCK],
            )?;
            tx.defer(
                "SELECT pg_advisory_xact_lock(?1, hashtext(pool_id)) FROM allocations WHERE id = ?2",
                params![POOL_LOCK_CLASS, allocation],
            )
        }
    }
}
