//! What differs between the backends, and nothing else: the connection, how a transaction
//! begins and ends, and how writers exclude each other.
//!
//! - **SQLite**: a write is `BEGIN IMMEDIATE`: the file's one write lock, taken before the first
//!   read, so two writers never interleave. A read is a deferred (snapshot) transaction.
//! - **PostgreSQL**: a write is a READ COMMITTED transaction whose first statement takes
//!   transaction-scoped advisory locks ([`Lock`]), released by COMMIT or ROLLBACK (also when the
//!   connection dies). A change to one pool's allocations (allocate, release, reserve, claim,
//!   update) holds that pool's lock exclusively and the database-wide [`crate::locks::WRITE_LOCK`] shared:
//!   changes to different pools run at once, changes to one pool queue. Every other change
//!   (IPAMs, scopes, pools, pool CIDRs, repairs) holds [`crate::locks::WRITE_LOCK`] exclusively. Since each
//!   statement after the lock reads what the previous holder committed, every change reads the
//!   free index and allocations as they stand: the serial order SQLite gives, on a server many
//!   machines share. The `allocations_no_overlap` exclusion constraint is the second guard.
//!   A read is `REPEATABLE READ READ ONLY`: one snapshot, never blocked by writers.
//!   A serialization failure or deadlock runs the transaction again (at most [`ATTEMPTS`]
//!   times); a connection found dead before COMMIT was sent is reopened and the transaction
//!   runs once more; a COMMIT whose answer the connection lost is asked about ([`Fate`]).
//!   Statements travel in pipelines (see [`Tx::defer`] and `prefetch`): BEGIN and
//!   the locks go with the first reads, the writes with COMMIT.

use crate::locks::{KEY_LOCK_CLASS, WRITE_LOCK};
use crate::pg::session::{Durability, PgSession};
use crate::pg::PgConn;
use crate::tx::{Tx, Witness};
use crate::{params, DbFailure, Error, Result};
use rusqlite::{Connection, TransactionBehavior};

/// An open database of either kind.
pub(crate) enum Conn {
    Sqlite(Connection),
    Pg(Box<PgConn>),
}

/// What a transaction may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Read,
    Write,
    /// A write that is always rolled back (plan-time checks), over one snapshot and without
    /// waiting for other writers: it takes no lock before it needs one (PostgreSQL:
    /// `REPEATABLE READ`, no advisory lock; SQLite: a deferred transaction, whose first write
    /// takes the file's lock only as long as the check runs).
    DryRun,
}

/// What a write transaction locks before it reads anything.
#[derive(Clone, Copy, Debug)]
pub enum Lock<'a> {
    /// The whole database: excludes every other writer.
    All,
    /// One key (the caller's unit of contention, e.g. one pool): excludes writers of the same
    /// key and writers of [`Lock::All`]; writers of other keys run at once.
    Key(&'a str),
    /// The key `query` returns for `arg` (its `?1`; one row, one text column), read after the
    /// database-wide lock is held shared, so no [`Lock::All`] writer can change the answer
    /// meanwhile. No row locks no key.
    KeyOf { query: &'static str, arg: &'a str },
}

/// How often a transaction runs when PostgreSQL reports a serialization failure or deadlock.
pub const ATTEMPTS: usize = 5;

/// Runs `f` in one transaction of `mode` on `conn`.
pub(crate) fn transaction<T, E: DbFailure>(
    conn: &mut Conn,
    mode: Mode,
    lock: Lock,
    mut f: impl FnMut(&Tx) -> Result<T, E>,
) -> Result<T, E> {
    match conn {
        Conn::Sqlite(c) => sqlite(c, mode, &mut f),
        Conn::Pg(c) => {
            let mut attempt = 1;
            let mut reconnected = false;
            loop {
                match postgres(c, mode, lock, &mut f) {
                    Err(Failed::Before(e))
                        if attempt < ATTEMPTS && e.as_db().is_some_and(Error::retryable) =>
                    {
                        std::thread::sleep(std::time::Duration::from_millis(5 * attempt as u64));
                        attempt += 1;
                    }
                    // The connection was dead before COMMIT was sent (the server restarted, or
                    // dropped it, since the last call): nothing of this transaction was kept,
                    // so it runs once more on a new connection.
                    Err(Failed::Before(e))
                        if !reconnected && matches!(e.as_db(), Some(Error::Unavailable(_))) =>
                    {
                        reconnected = true;
                    }
                    Err(Failed::Connect(e)) => return Err(c.name_lock_holders(e).into()),
                    Err(Failed::Before(e) | Failed::AtCommit(e)) => {
                        return Err(match e.as_db() {
                            Some(Error::Busy { holders: None }) => {
                                c.name_lock_holders(Error::Busy { holders: None }).into()
                            }
                            _ => e,
                        })
                    }
                    Ok(v) => return Ok(v),
                }
            }
        }
    }
}

fn sqlite<T, E: DbFailure>(
    c: &mut Connection,
    mode: Mode,
    f: &mut impl FnMut(&Tx) -> Result<T, E>,
) -> Result<T, E> {
    let behavior = match mode {
        Mode::Read => TransactionBehavior::Deferred,
        Mode::Write => TransactionBehavior::Immediate,
        Mode::DryRun => TransactionBehavior::Deferred,
    };
    let t = c.transaction_with_behavior(behavior).map_err(Error::from)?;
    let tx = Tx::sqlite(&t);
    let out = f(&tx);
    drop(tx);
    match (mode, out) {
        (Mode::Write, Ok(v)) => {
            t.commit().map_err(Error::from)?;
            Ok(v)
        }
        (Mode::DryRun, out) => {
            t.rollback().map_err(Error::from)?;
            out
        }
        // Dropping the transaction rolls it back.
        (_, out) => out,
    }
}

/// How a PostgreSQL transaction failed: before its COMMIT was sent (nothing was kept), or with
/// its COMMIT in flight or done.
enum Failed<E> {
    /// No connection could be opened (trying again at once would only wait as long again).
    Connect(Error),
    Before(E),
    AtCommit(E),
}

fn postgres<T, E: DbFailure>(
    c: &mut PgConn,
    mode: Mode,
    lock: Lock,
    f: &mut impl FnMut(&Tx) -> Result<T, E>,
) -> std::result::Result<T, Failed<E>> {
    c.ensure_open().map_err(Failed::Connect)?;
    // The server this transaction runs on: a commit whose answer is lost is asked about by
    // transaction id only while the server is the same, in the same life.
    let ran_on = c.identity().map(String::from);
    let begin = match mode {
        Mode::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        Mode::Write => "BEGIN",
        Mode::DryRun => "BEGIN ISOLATION LEVEL REPEATABLE READ",
    };
    // BEGIN travels with the lock (or a read's first query): one round trip.
    // Under a key's lock a constraint's refusal is repaired by the caller and run again
    // (see Tx::retried_on_conflict).
    let tx = Tx::pg(
        PgSession::new(c, begin),
        mode == Mode::Write && matches!(lock, Lock::Key(_)),
    );
    let out = if mode != Mode::Write {
        // A read, or a dry run: nothing to wait for (see Mode::DryRun).
        f(&tx)
    } else {
        take(&tx, lock, true)
            // The transaction's id, asked for with the first reads: no round trip of its own.
            .and_then(|()| tx.prefetch(XID, &[], ()))
            .map_err(E::from)
            .and_then(|()| f(&tx))
    };
    // The transaction's id, to learn its fate if the connection dies during COMMIT.
    let xid = match (&out, mode) {
        (Ok(_), Mode::Write) => tx.query_row(XID, (), |r| r.get::<_, i64>(0)).ok(),
        _ => None,
    };
    let marks = tx.take_witnesses();
    let session = tx.into_pg().expect("a PostgreSQL transaction");
    match (mode, out) {
        (Mode::Write, Ok(v)) => {
            // The commit releases the locks without waiting for the disk; DURABLE, sent with
            // it, waits for the disk and the synchronous standbys before the caller hears of
            // success.
            let lost = match session.commit_durably() {
                Ok(Durability::Confirmed) => return Ok(v),
                Ok(Durability::TimedOut(bound)) => {
                    return Err(Failed::AtCommit(Error::not_confirmed(bound).into()))
                }
                // The change committed, but the wait for its flush broke off (the server
                // went away): a crash may have lost it, so ask, as for a lost COMMIT.
                Ok(Durability::Failed(e)) => match Error::from(e) {
                    e @ Error::Unavailable(_) => e,
                    other => {
                        return Err(Failed::AtCommit(
                            Error::NotDurable {
                                seconds: c.durability_bound().as_secs(),
                                why: other.to_string(),
                            }
                            .into(),
                        ))
                    }
                },
                Err(e @ Error::Unavailable(_)) => e,
                Err(e) => return Err(Failed::AtCommit(e.into())),
            };
            // The connection died with the COMMIT (or its durability wait) in flight: the
            // change may have committed. Ask a new connection rather than guess: a change
            // reported as failed although it committed would be allocated again by the next
            // apply, leaving this one orphaned.
            match xid.map(|xid| fate(c, xid, ran_on.as_deref(), &marks)) {
                Some(Fate::Committed) => Ok(v),
                Some(Fate::NotCommitted) | None => Err(Failed::AtCommit(lost.into())),
                Some(Fate::NotDurable(e)) => Err(Failed::AtCommit(e.into())),
                Some(Fate::Unknown) => Err(Failed::AtCommit(Error::CommitUnknown.into())),
            }
        }
        (_, out) => {
            session.rollback();
            out.map_err(Failed::Before)
        }
    }
}

/// The current transaction's id (64-bit, so it never wraps in practice).
const XID: &str = "SELECT txid_current()";

/// What became of a transaction whose COMMIT was in flight when its connection died.
enum Fate {
    /// Committed, and made durable.
    Committed,
    NotCommitted,
    /// Committed, but its durability could not be confirmed.
    NotDurable(Error),
    /// The server could not be asked, or could not tell.
    Unknown,
}

/// What became of transaction `xid`, run on the server `ran_on` ([`PgConn::identity`]),
/// asked on a new connection (the server may be restarting: for a few seconds).
///
/// The same server in the same life (only the connection was lost) knows its transaction ids:
/// `txid_status` answers. A server that restarted after a crash, or a standby promoted in its
/// place, may have handed the ids of lost transactions out again, so there the change itself
/// is looked for: the rows the transaction noted as its witnesses ([`Tx::witness`]). A
/// transaction that noted none cannot be told apart then, and is reported as unknown.
///
/// A committed one is also made durable before it counts: DURABLE's commit waits for the log
/// to be flushed (and the synchronous standbys to confirm) past everything committed before it.
fn fate(c: &mut PgConn, xid: i64, ran_on: Option<&str>, marks: &[Witness]) -> Fate {
    // A failover takes its time (a managed one, half a minute): ask for as long as a change
    // waits for its durability, and at least 10 s.
    let deadline =
        std::time::Instant::now() + c.durability_bound().max(std::time::Duration::from_secs(10));
    let committed = |c: &mut PgConn| match c.durable() {
        Ok(()) => Fate::Committed,
        Err(e @ Error::NotDurable { .. }) => Fate::NotDurable(e),
        Err(_) => Fate::Unknown,
    };
    /// One answer of the server.
    enum Seen {
        Committed,
        Aborted,
        /// Not finished yet, or the server is not back: ask again.
        Pending,
        CannotTell,
    }
    let ask = |c: &mut PgConn| -> Result<Seen> {
        c.ensure_open()?;
        if ran_on.is_some() && c.identity() == ran_on {
            return Ok(match c.transaction_status(xid)?.as_deref() {
                Some("committed") => Seen::Committed,
                Some("aborted") => Seen::Aborted,
                // The old connection's server process has not finished with it yet.
                Some(_) => Seen::Pending,
                // Too old for the server to remember (it is not: but then nobody can tell).
                None => Seen::CannotTell,
            });
        }
        // A standby reached without `target_session_attrs=read-write` may still be catching
        // up: only a server that takes writes has all it will ever have.
        if c.identity().is_some_and(|i| i.contains("/standby/")) {
            return Ok(Seen::Pending);
        }
        if marks.is_empty() {
            return Ok(Seen::CannotTell);
        }
        // A new life of the server (or another server) has finished recovery before it
        // answers: what it holds now is all it will ever hold of the old one. Every event the
        // transaction wrote must be there.
        for mark in marks {
            if !c.witness_exists(mark)? {
                return Ok(Seen::Aborted);
            }
        }
        Ok(Seen::Committed)
    };
    loop {
        let waiting = std::time::Instant::now() < deadline;
        match ask(c) {
            Ok(Seen::Committed) => return committed(c),
            Ok(Seen::Aborted) => return Fate::NotCommitted,
            Ok(Seen::CannotTell) => return Fate::Unknown,
            Ok(Seen::Pending) | Err(_) if waiting => {
                std::thread::sleep(std::time::Duration::from_millis(100))
            }
            _ => return Fate::Unknown,
        }
    }
}

/// Takes `lock` in `tx` (PostgreSQL), waiting at most the connection's `lock_timeout`.
/// The statements are deferred: they travel with BEGIN and the transaction's first reads, which
/// the server runs after them, so the reads see what the previous holder committed; a lock that
/// times out fails that first round trip ([`Error::Busy`], naming who holds the lock). `fast_commit` also sets this
/// transaction's commit not to wait for the disk (see [`crate::pg::DURABLE`]).
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
        Lock::Key(key) => tx.defer(
            &format!(
                "SELECT {commit}pg_advisory_xact_lock_shared(?1), pg_advisory_xact_lock(?2, hashtext(?3))"
            ),
            params![WRITE_LOCK, KEY_LOCK_CLASS, key],
        ),
        // The key is read after the shared lock, in a statement of its own (a statement reads
        // the snapshot of its start): no writer of the whole database can change it then.
        Lock::KeyOf { query, arg } => {
            tx.defer(
                &format!("SELECT {commit}pg_advisory_xact_lock_shared(?1)"),
                [WRITE_LOCK],
            )?;
            // The query reads `arg` as ?1; the lock's class follows it.
            tx.defer(
                &format!(
                    "SELECT pg_advisory_xact_lock(CAST(?2 AS INTEGER), hashtext(keyed.key)) FROM ({query}) AS keyed(key)"
                ),
                params![arg, KEY_LOCK_CLASS],
            )
        }
    }
}
