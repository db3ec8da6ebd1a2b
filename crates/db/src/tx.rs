//! The one SQL interface every repository is written against, whichever backend runs it.
//!
//! A caller takes a [`Tx`] and writes its SQL once, with `?1`-style numbered parameters
//! (PostgreSQL gets them as `$1`), values bound through [`crate::Param`] and rows read through
//! [`crate::Row::get`]. What truly differs (connecting, transactions, locking) lives in
//! [`crate::transaction`].

pub use crate::dialect::Dialect;
use crate::pg::session::PgSession;
use crate::sqlite::from_sqlite;
use crate::value::{Params, Row, Value};
use crate::{Error, Result};
use std::cell::RefCell;

/// One open transaction of either backend. Repositories take `&Tx`.
pub struct Tx<'a> {
    inner: Inner<'a>,
    /// See [`Tx::retried_on_conflict`].
    retried_on_conflict: bool,
    /// What this transaction wrote that proves it committed ([`Tx::witness`]).
    witnesses: RefCell<Vec<Witness>>,
}

/// A query that finds a row this transaction wrote: by it, a commit whose answer was lost to
/// a crash or a failover is found (or not) on the server that answers afterwards, where
/// transaction ids may have been handed out again.
#[derive(Clone, Debug)]
pub struct Witness {
    /// A query returning at least one row once the transaction has committed.
    pub sql: &'static str,
    pub values: Vec<Value>,
}

enum Inner<'a> {
    Sqlite(&'a rusqlite::Transaction<'a>),
    Pg(RefCell<PgSession<'a>>),
}

impl<'a> Tx<'a> {
    /// A SQLite transaction as a [`Tx`].
    pub(crate) fn sqlite(tx: &'a rusqlite::Transaction<'a>) -> Tx<'a> {
        Tx {
            inner: Inner::Sqlite(tx),
            retried_on_conflict: false,
            witnesses: RefCell::new(Vec::new()),
        }
    }

    /// A PostgreSQL transaction; `retried_on_conflict` as [`Tx::retried_on_conflict`].
    pub(crate) fn pg(session: PgSession<'a>, retried_on_conflict: bool) -> Tx<'a> {
        Tx {
            inner: Inner::Pg(RefCell::new(session)),
            retried_on_conflict,
            witnesses: RefCell::new(Vec::new()),
        }
    }

    /// Whether a [`Error::Conflict`] this transaction meets is answered by its caller
    /// repairing what the constraint guards and running it once more (PostgreSQL, a write
    /// under a keyed lock): the body may then let the constraint check, as the row is
    /// written, what it would otherwise read first to check (a round trip while the key's
    /// other writers wait).
    pub fn retried_on_conflict(&self) -> bool {
        self.retried_on_conflict
    }

    /// Notes a row this transaction wrote that shows it committed. Note every one that could
    /// be told apart from another transaction's only together (a row of the same second).
    pub fn witness(&self, witness: Witness) {
        self.witnesses.borrow_mut().push(witness);
    }

    /// How many witnesses this transaction has noted (before a savepoint).
    pub fn witnesses(&self) -> usize {
        self.witnesses.borrow().len()
    }

    /// Forgets the witnesses noted after the first `kept` (a rollback to a savepoint undid
    /// their rows).
    pub fn forget_witnesses_after(&self, kept: usize) {
        self.witnesses.borrow_mut().truncate(kept);
    }

    pub(crate) fn take_witnesses(&self) -> Vec<Witness> {
        std::mem::take(&mut self.witnesses.borrow_mut())
    }

    /// The PostgreSQL session back, to commit or roll back.
    pub(crate) fn into_pg(self) -> Option<PgSession<'a>> {
        match self.inner {
            Inner::Pg(s) => Some(s.into_inner()),
            Inner::Sqlite(_) => None,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Sqlite(_) => Dialect::Sqlite,
            Inner::Pg(_) => Dialect::Postgres,
        }
    }

    /// Whether the table `name` exists (a database opened read-only may predate it).
    pub fn table_exists(&self, name: &str) -> Result<bool> {
        let sql = match self.dialect() {
            Dialect::Sqlite => {
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)"
            }
            Dialect::Postgres => "SELECT to_regclass(?1) IS NOT NULL",
        };
        self.query_row(sql, [name], |r| r.get(0))
    }

    /// A statement to run (prepared and cached per connection on first use).
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_, 'a>> {
        Ok(Stmt {
            tx: self,
            sql: sql.to_string(),
        })
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    /// A change whose count of rows nobody reads. SQLite runs it now; PostgreSQL sends it with
    /// the transaction's next request that needs an answer (or its COMMIT), so a change made of
    /// many such statements costs one round trip, not one each. A failure is reported by that
    /// later call (the transaction fails as a whole either way).
    pub fn defer<P: Params>(&self, sql: &str, params: P) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(_) => self.run(sql, params.values()).map(|_| ()),
            Inner::Pg(s) => s.borrow_mut().defer(sql, params.values()),
        }
    }

    /// Asks for the rows of `sql` now, for a later call of the same query with the same
    /// values: on PostgreSQL the read travels with the next request sent, and that later call
    /// then costs no round trip. Sound only for reads whose rows this transaction's locks keep
    /// still (every write transaction holds the database-wide lock at least shared, so no
    /// other change to pools, CIDRs or the organization can commit meanwhile); a write of a
    /// table the query reads, in this transaction, forgets the answer. SQLite reads locally:
    /// nothing to do.
    /// `reads` names every table the query reads (subqueries included): the declaration, not
    /// the query's text, is what a write in this transaction is matched against.
    pub fn prefetch<P: Params>(&self, sql: &str, reads: &[&'static str], params: P) -> Result<()> {
        if let Inner::Pg(s) = &self.inner {
            s.borrow_mut().prefetch(sql, reads, params.values())?;
        }
        Ok(())
    }

    pub fn query_row<T, E: From<Error>, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnMut(&Row) -> Result<T, E>,
    ) -> Result<T, E> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// Several statements without parameters (DDL, maintenance).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(tx) => Ok(tx.execute_batch(sql)?),
            Inner::Pg(s) => s.borrow_mut().batch(sql),
        }
    }

    /// Every row of `sql`, as values.
    fn rows(&self, sql: &str, params: Vec<Value>) -> Result<Vec<Row>> {
        match &self.inner {
            Inner::Sqlite(tx) => {
                let mut stmt = tx.prepare_cached(sql)?;
                let n = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut cells = Vec::with_capacity(n);
                    for i in 0..n {
                        cells.push(from_sqlite(r.get::<_, rusqlite::types::Value>(i)?));
                    }
                    out.push(Row::new(cells));
                }
                Ok(out)
            }
            Inner::Pg(s) => s.borrow_mut().query(sql, params),
        }
    }

    fn run(&self, sql: &str, params: Vec<Value>) -> Result<usize> {
        match &self.inner {
            Inner::Sqlite(tx) => Ok(tx
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(params.iter()))?),
            Inner::Pg(s) => s.borrow_mut().execute(sql, params).map(|n| n as usize),
        }
    }
}

/// A statement of a transaction.
pub struct Stmt<'t, 'a> {
    tx: &'t Tx<'a>,
    sql: String,
}

impl Stmt<'_, '_> {
    /// The first row mapped by `f`; [`OptionalExtension::optional`] turns "no row" into `None`.
    pub fn query_row<T, E: From<Error>, P: Params>(
        &mut self,
        params: P,
        mut f: impl FnMut(&Row) -> Result<T, E>,
    ) -> Result<T, E> {
        match self.tx.rows(&self.sql, params.values())?.first() {
            Some(r) => f(r),
            None => Err(Error::NoRows.into()),
        }
    }

    /// Every row mapped by `f`.
    pub fn query_map<T, E: From<Error>, P: Params>(
        &mut self,
        params: P,
        mut f: impl FnMut(&Row) -> Result<T, E>,
    ) -> Result<std::vec::IntoIter<Result<T, E>>> {
        let rows = self.tx.rows(&self.sql, params.values())?;
        Ok(rows.iter().map(&mut f).collect::<Vec<_>>().into_iter())
    }

    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        self.tx.run(&self.sql, params.values())
    }

    /// Every row as it is (copying between databases).
    pub fn query_rows<P: Params>(&mut self, params: P) -> Result<Vec<Row>> {
        self.tx.rows(&self.sql, params.values())
    }
}
