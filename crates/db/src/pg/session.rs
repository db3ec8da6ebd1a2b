//! A PostgreSQL transaction in flight: the requests not yet sent, the reads asked for ahead, and
//! the commit that waits for durability.

use super::{Bounded, PgConn, Reply, Request, DURABLE};
use crate::value::{Row, Value};
use crate::{Error, Result};

/// A PostgreSQL transaction: its connection, and the requests not yet sent. Requests whose
/// answer nobody reads ([`crate::Tx::defer`], BEGIN) wait here and travel with the next one whose
/// answer is needed, or with COMMIT: one round trip for them all.
pub(crate) struct PgSession<'a> {
    conn: &'a mut PgConn,
    pending: Vec<Request>,
    /// Whether BEGIN has reached the server (only then is there anything to roll back).
    begun: bool,
    /// Reads asked for ahead ([`crate::Tx::prefetch`]): those still in `pending` (with their place
    /// there), and those answered, waiting for the call that wants them.
    asked: Vec<(usize, Prefetch)>,
    answered: Vec<(Prefetch, Vec<tokio_postgres::Row>)>,
}

/// What became of a committed change's wait for durability.
pub(crate) enum Durability {
    /// Flushed, and confirmed by the synchronous standbys the server asks for.
    Confirmed,
    /// The wait failed (its connection was lost, say): the change committed, but may not
    /// survive a crash.
    Failed(tokio_postgres::Error),
    /// The wait was cancelled after this long (a synchronous standby that does not answer).
    TimedOut(std::time::Duration),
}

/// A read made ahead of time: what it was, and the tables whose writes make it stale.
struct Prefetch {
    sql: String,
    values: Vec<Value>,
    tables: Vec<&'static str>,
}

impl<'a> PgSession<'a> {
    /// A transaction opened by `begin` (sent with the first request that needs an answer).
    pub(crate) fn new(conn: &'a mut PgConn, begin: &str) -> PgSession<'a> {
        PgSession {
            conn,
            pending: vec![Request::Simple(begin.to_string())],
            begun: false,
            asked: Vec::new(),
            answered: Vec::new(),
        }
    }

    /// A write whose answer nobody reads: it travels with the next request sent.
    pub(crate) fn defer(&mut self, sql: &str, values: Vec<Value>) -> Result<()> {
        let stmt = self.conn.prepare(sql)?;
        self.written(sql);
        self.pending.push(Request::Execute(stmt, values));
        Ok(())
    }

    /// A read asked for ahead; `reads` are the tables whose writes make its answer stale.
    pub(crate) fn prefetch(
        &mut self,
        sql: &str,
        reads: &[&'static str],
        values: Vec<Value>,
    ) -> Result<()> {
        let stmt = self.conn.prepare(sql)?;
        let at = self.pending.len();
        self.pending.push(Request::Query(stmt, values.clone()));
        self.asked.push((
            at,
            Prefetch {
                sql: sql.to_string(),
                values,
                tables: reads.to_vec(),
            },
        ));
        Ok(())
    }

    /// Statements without parameters, sent now with what is pending.
    pub(crate) fn batch(&mut self, sql: &str) -> Result<()> {
        self.written(sql);
        self.send(Request::Simple(sql.to_string())).map(|_| ())
    }

    /// The rows of `sql`: the answer asked for ahead when there is one, else a round trip.
    pub(crate) fn query(&mut self, sql: &str, values: Vec<Value>) -> Result<Vec<Row>> {
        if self
            .asked
            .iter()
            .any(|(_, p)| p.sql == sql && p.values == values)
        {
            // Asked for ahead and not yet sent: send it now, with what is pending.
            self.flush()?;
        }
        let rows = match self.take_answered(sql, &values) {
            Some(rows) => rows,
            None => {
                let stmt = self.conn.prepare(sql)?;
                let Reply::Rows(rows) = self.send(Request::Query(stmt, values))? else {
                    unreachable!("a query is answered with rows")
                };
                rows
            }
        };
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<_, Value>(i).map_err(Error::from))
                    .collect::<Result<Vec<_>>>()
                    .map(Row::new)
            })
            .collect()
    }

    /// A write whose count of rows the caller reads: a round trip.
    pub(crate) fn execute(&mut self, sql: &str, values: Vec<Value>) -> Result<u64> {
        let stmt = self.conn.prepare(sql)?;
        self.written(sql);
        match self.send(Request::Execute(stmt, values))? {
            Reply::Count(n) => Ok(n),
            _ => unreachable!("an execute is answered with a count"),
        }
    }

    /// Sends what is pending (its reads asked for ahead are then answered).
    fn flush(&mut self) -> Result<()> {
        match self.pending.pop() {
            Some(last) => self.send(last).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Sends what is pending, then `last`; the answer to `last`, or the first failure. The
    /// answers to reads asked for ahead are filed for [`PgSession::take_answered`].
    fn send(&mut self, last: Request) -> Result<Reply> {
        self.pending.push(last);
        let requests = std::mem::take(&mut self.pending);
        self.begun = true;
        let replies = self.conn.pipeline(&requests);
        let n = replies.len();
        // `asked` is in request order, as were its places in `pending`.
        let mut asked = std::mem::take(&mut self.asked).into_iter().peekable();
        let mut answer = Reply::Done;
        for (i, reply) in replies.into_iter().enumerate() {
            let ahead = asked.next_if(|(at, _)| *at == i).map(|(_, p)| p);
            match (reply?, ahead) {
                (Reply::Rows(rows), Some(p)) => self.answered.push((p, rows)),
                (reply, None) if i + 1 == n => answer = reply,
                _ => {}
            }
        }
        Ok(answer)
    }

    /// The answer to a read asked for ahead, if it is still what the read would answer.
    fn take_answered(&mut self, sql: &str, values: &[Value]) -> Option<Vec<tokio_postgres::Row>> {
        let i = self
            .answered
            .iter()
            .position(|(p, _)| p.sql == sql && p.values == values)?;
        Some(self.answered.swap_remove(i).1)
    }

    /// Forgets the reads a write of `sql` may change: those of its table, or all of them
    /// when the statement is not a plain INSERT, UPDATE or DELETE of one table.
    fn written(&mut self, sql: &str) {
        match written_table(sql) {
            Some(t) => {
                self.asked.retain(|(_, p)| !p.tables.contains(&t.as_str()));
                self.answered
                    .retain(|(p, _)| !p.tables.contains(&t.as_str()));
            }
            None => {
                self.asked.clear();
                self.answered.clear();
            }
        }
    }

    /// Commits everything pending, then waits until the commit is durable
    /// ([`DURABLE`], a transaction of its own): one round trip, bounded by
    /// [`PgConn::durability_bound`]. The error is the change's own (its COMMIT failed, or its
    /// answer was lost); the [`Durability`] says what became of it once committed.
    pub(crate) fn commit_durably(mut self) -> Result<Durability> {
        self.pending.push(Request::Simple("COMMIT".into()));
        self.pending.push(Request::Simple(DURABLE.into()));
        let requests = std::mem::take(&mut self.pending);
        let bound = self.conn.durability_bound();
        let (mut replies, timed_out) = match self.conn.pipeline_within(&requests, bound) {
            Bounded::Answered(r) => (r, false),
            Bounded::TimedOut(Some(r)) => (r, true),
            // Not even the cancel was answered: the server is gone or stuck, and the COMMIT's
            // fate is unknown. A new connection asks.
            Bounded::TimedOut(None) => {
                return Err(Error::Unavailable(format!(
                    "the database server did not answer the commit within {} s",
                    bound.as_secs()
                )))
            }
        };
        let durable = replies.pop().expect("one reply per request");
        for r in replies {
            r?;
        }
        Ok(match durable {
            _ if timed_out => Durability::TimedOut(bound),
            Ok(_) => Durability::Confirmed,
            Err(e) => Durability::Failed(e),
        })
    }

    /// Ends the transaction without keeping anything. A rollback that fails (the connection
    /// is gone) rolled back on the server anyway.
    pub(crate) fn rollback(mut self) {
        if self.begun {
            let _ = self.conn.pipeline(&[Request::Simple("ROLLBACK".into())]);
        }
        self.pending.clear();
    }
}

/// The table a plain `INSERT INTO t`, `UPDATE t` or `DELETE FROM t` writes.
fn written_table(sql: &str) -> Option<String> {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(3)
        .map(str::to_ascii_lowercase)
        .collect();
    let name = match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["insert", "into", t, ..] | ["delete", "from", t, ..] => t,
        ["update", t, ..] => t,
        _ => return None,
    };
    let name = name.split('(').next().unwrap_or(name);
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_name_their_table_or_none() {
        assert_eq!(
            super::written_table("INSERT INTO free_blocks (pool_id) VALUES (?1)").as_deref(),
            Some("free_blocks")
        );
        assert_eq!(
            super::written_table("DELETE FROM allocations WHERE id = ?1").as_deref(),
            Some("allocations")
        );
        assert_eq!(
            super::written_table("UPDATE pools SET x = 1").as_deref(),
            Some("pools")
        );
        assert_eq!(
            super::written_table("SELECT pg_advisory_xact_lock(1)"),
            None
        );
    }
}
