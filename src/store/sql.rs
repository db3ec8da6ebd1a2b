//! The one SQL interface every store function is written against, whichever backend runs it.
//!
//! A store function takes a [`Tx`] and writes its SQL once, with `?1`-style numbered
//! parameters (PostgreSQL gets them as `$1`), values bound through [`Param`] and rows read
//! through [`Row::get`]. Only integers (64-bit), text, bytes and NULL cross this interface, so
//! the same statement means the same on both backends. What truly differs (connecting,
//! transactions, locking, DDL) lives in [`super::backend`].

use super::pg::{PgConn, Reply, Request};
use super::{Error, Result};
use std::cell::RefCell;

/// A value crossing the interface: the types both backends store the same way.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

/// Anything bindable as a statement parameter.
pub trait Param {
    fn value(&self) -> Value;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value {
                Value::Int(*self as i64)
            }
        }
    )*};
}
int_param!(i64, i32, u32, u8, u16, usize);

impl Param for bool {
    fn value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
/// A fraction (a discovered VPC's `ip_usage`) crosses as its decimal text: SQLite's `REAL`
/// column converts it on the way in, PostgreSQL's `DOUBLE PRECISION` parses it when bound.
impl Param for f64 {
    fn value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl Param for str {
    fn value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl Param for String {
    fn value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl Param for [u8] {
    fn value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl Param for Vec<u8> {
    fn value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl<const N: usize> Param for [u8; N] {
    fn value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl Param for Value {
    fn value(&self) -> Value {
        self.clone()
    }
}
impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value {
        (**self).value()
    }
}
impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value {
        self.as_ref().map_or(Value::Null, Param::value)
    }
}

/// A statement's parameters: `params![a, b]`, an array of one type, or `()` for none.
pub trait Params {
    fn values(&self) -> Vec<Value>;
}
impl Params for &[&dyn Param] {
    fn values(&self) -> Vec<Value> {
        self.iter().map(|p| p.value()).collect()
    }
}
impl<T: Param, const N: usize> Params for [T; N] {
    fn values(&self) -> Vec<Value> {
        self.iter().map(Param::value).collect()
    }
}
impl Params for () {
    fn values(&self) -> Vec<Value> {
        Vec::new()
    }
}
impl Params for Vec<Value> {
    fn values(&self) -> Vec<Value> {
        self.clone()
    }
}

/// `params![a, b, c]`: parameters of different types, bound `?1`, `?2`, `?3`.
macro_rules! params {
    ($($x:expr),* $(,)?) => {
        &[$(&$x as &dyn $crate::store::sql::Param),*] as &[&dyn $crate::store::sql::Param]
    };
}
pub(crate) use params;

/// A value read from a row.
pub trait FromValue: Sized {
    fn from_value(v: Value) -> std::result::Result<Self, String>;
}

impl FromValue for Value {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        Ok(v)
    }
}
impl FromValue for i64 {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Int(i) => Ok(i),
            Value::Text(t) => t.parse().map_err(|_| format!("{t:?} is not an integer")),
            other => Err(format!("expected an integer, found {other:?}")),
        }
    }
}
impl FromValue for bool {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        i64::from_value(v).map(|i| i != 0)
    }
}
impl FromValue for String {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Text(t) => Ok(t),
            Value::Int(i) => Ok(i.to_string()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b),
            Value::Text(t) => Ok(t.into_bytes()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// One result row, read by column index.
pub struct Row {
    cells: Vec<Value>,
}

/// A column index (`usize` only; the parameter keeps the `get::<_, T>(i)` spelling).
pub trait Idx {
    fn idx(self) -> usize;
}
impl Idx for usize {
    fn idx(self) -> usize {
        self
    }
}

impl Row {
    pub(crate) fn new(cells: Vec<Value>) -> Row {
        Row { cells }
    }

    /// Every column's value, in order (copying rows between databases).
    pub fn into_values(self) -> Vec<Value> {
        self.cells
    }

    pub fn get<I: Idx, T: FromValue>(&self, i: I) -> Result<T> {
        let i = i.idx();
        let v = self
            .cells
            .get(i)
            .cloned()
            .ok_or_else(|| Error::Column(format!("no column {i}")))?;
        T::from_value(v).map_err(|e| Error::Column(format!("column {i}: {e}")))
    }
}

/// `query_row(..).optional()`: no row is `None`, not an error.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}
impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Which backend a transaction runs on, for the few statements whose text must differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One open transaction of either backend. Store functions take `&Tx`.
pub struct Tx<'a> {
    inner: Inner<'a>,
    /// Whether the database checks a new allocation against its pool's others as it is
    /// written, and the caller repairs and runs again when it refuses (PostgreSQL's exclusion
    /// constraint under `Store::write_pool`): the allocator then skips its own check.
    overlap_checked_on_write: bool,
    /// The audit events this transaction wrote: the change itself, by which a commit whose
    /// answer was lost to a crash or a failover is found (or not) on the server that answers
    /// afterwards, where transaction ids may have been handed out again. All of them, since
    /// one alone (a reservation swept, a pool modified) may match another transaction's event
    /// of the same second; a change that creates something names a new id.
    events: RefCell<Vec<EventMark>>,
}

/// What identifies an audit event a transaction wrote.
#[derive(Clone, Debug)]
pub(crate) struct EventMark {
    pub at: i64,
    pub action: String,
    pub object_id: String,
}

enum Inner<'a> {
    Sqlite(&'a rusqlite::Transaction<'a>),
    Pg(RefCell<PgSession<'a>>),
}

/// A PostgreSQL transaction: its connection, and the requests not yet sent. Requests whose
/// answer nobody reads ([`Tx::defer`], BEGIN) wait here and travel with the next one whose
/// answer is needed, or with COMMIT: one round trip for them all.
pub(crate) struct PgSession<'a> {
    conn: &'a mut PgConn,
    pending: Vec<Request>,
    /// Whether BEGIN has reached the server (only then is there anything to roll back).
    begun: bool,
    /// Reads asked for ahead ([`Tx::prefetch`]): those still in `pending` (with their place
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
    tables: Vec<String>,
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
                self.asked.retain(|(_, p)| !p.tables.contains(&t));
                self.answered.retain(|(p, _)| !p.tables.contains(&t));
            }
            None => {
                self.asked.clear();
                self.answered.clear();
            }
        }
    }

    /// Commits everything pending, then waits until the commit is durable
    /// ([`super::pg::DURABLE`], a transaction of its own): one round trip, bounded by
    /// [`PgConn::durability_bound`]. The error is the change's own (its COMMIT failed, or its
    /// answer was lost); the [`Durability`] says what became of it once committed.
    pub(crate) fn commit_durably(mut self) -> Result<Durability> {
        use super::pg::Bounded;
        self.pending.push(Request::Simple("COMMIT".into()));
        self.pending
            .push(Request::Simple(super::pg::DURABLE.into()));
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

impl<'a> Tx<'a> {
    /// A SQLite transaction as a [`Tx`] (tests drive store pieces on an in-memory database).
    pub fn sqlite(tx: &'a rusqlite::Transaction<'a>) -> Tx<'a> {
        Tx {
            inner: Inner::Sqlite(tx),
            overlap_checked_on_write: false,
            events: RefCell::new(Vec::new()),
        }
    }

    /// A PostgreSQL transaction; `overlap_checked_on_write` as [`Tx::overlap_checked_on_write`].
    pub(crate) fn pg(session: PgSession<'a>, overlap_checked_on_write: bool) -> Tx<'a> {
        Tx {
            inner: Inner::Pg(RefCell::new(session)),
            overlap_checked_on_write,
            events: RefCell::new(Vec::new()),
        }
    }

    /// Whether a new allocation's overlap with its pool's others is checked as it is written,
    /// with a repair and a second run when it is refused: the allocator need not read the
    /// pool's allocations first (a round trip while the pool's writers wait).
    pub fn overlap_checked_on_write(&self) -> bool {
        self.overlap_checked_on_write
    }

    /// Notes an audit event this transaction wrote.
    pub(crate) fn mark_event(&self, mark: EventMark) {
        self.events.borrow_mut().push(mark);
    }

    /// How many audit events this transaction has noted (before a savepoint).
    pub(crate) fn marks(&self) -> usize {
        self.events.borrow().len()
    }

    /// Forgets the events noted after the first `kept` (a rollback to a savepoint undid them).
    pub(crate) fn forget_marks_after(&self, kept: usize) {
        self.events.borrow_mut().truncate(kept);
    }

    /// The audit events this transaction wrote.
    pub(crate) fn event_marks(&self) -> Vec<EventMark> {
        self.events.borrow().clone()
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
            Inner::Pg(s) => {
                let mut s = s.borrow_mut();
                let stmt = s.conn.prepare(sql)?;
                s.written(sql);
                s.pending.push(Request::Execute(stmt, params.values()));
                Ok(())
            }
        }
    }

    /// Asks for the rows of `sql` now, for a later call of the same query with the same
    /// values: on PostgreSQL the read travels with the next request sent, and that later call
    /// then costs no round trip. Sound only for reads whose rows this transaction's locks keep
    /// still (every write transaction holds the database-wide lock at least shared, so no
    /// other change to pools, CIDRs or the organization can commit meanwhile); a write of a
    /// table the query reads, in this transaction, forgets the answer. SQLite reads locally:
    /// nothing to do.
    pub fn prefetch<P: Params>(&self, sql: &str, params: P) -> Result<()> {
        if let Inner::Pg(s) = &self.inner {
            let mut s = s.borrow_mut();
            let stmt = s.conn.prepare(sql)?;
            let values = params.values();
            let at = s.pending.len();
            s.pending.push(Request::Query(stmt, values.clone()));
            s.asked.push((
                at,
                Prefetch {
                    sql: sql.to_string(),
                    values,
                    tables: read_tables(sql),
                },
            ));
        }
        Ok(())
    }

    pub fn query_row<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// Several statements without parameters (DDL, maintenance).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(tx) => Ok(tx.execute_batch(sql)?),
            Inner::Pg(s) => {
                let mut s = s.borrow_mut();
                s.written(sql);
                s.send(Request::Simple(sql.to_string())).map(|_| ())
            }
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
            Inner::Pg(s) => {
                let mut s = s.borrow_mut();
                if s.asked
                    .iter()
                    .any(|(_, p)| p.sql == sql && p.values == params)
                {
                    // Asked for ahead and not yet sent: send it now, with what is pending.
                    s.flush()?;
                }
                let rows = match s.take_answered(sql, &params) {
                    Some(rows) => rows,
                    None => {
                        let stmt = s.conn.prepare(sql)?;
                        let Reply::Rows(rows) = s.send(Request::Query(stmt, params))? else {
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
        }
    }

    fn run(&self, sql: &str, params: Vec<Value>) -> Result<usize> {
        match &self.inner {
            Inner::Sqlite(tx) => Ok(tx
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(params.iter()))?),
            Inner::Pg(s) => {
                let mut s = s.borrow_mut();
                let stmt = s.conn.prepare(sql)?;
                s.written(sql);
                match s.send(Request::Execute(stmt, params))? {
                    Reply::Count(n) => Ok(n as usize),
                    _ => unreachable!("an execute is answered with a count"),
                }
            }
        }
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

/// The tables a query reads: every name after FROM or JOIN.
fn read_tables(sql: &str) -> Vec<String> {
    let words: Vec<String> = sql
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    words
        .windows(2)
        .filter(|w| w[0] == "from" || w[0] == "join")
        .map(|w| w[1].trim_end_matches([',', ')', ';']).to_string())
        .filter(|t| !t.starts_with('('))
        .collect()
}

/// `?1` → `$1` outside quoted text: PostgreSQL's spelling of numbered parameters.
pub fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == '?' && !quoted && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// A statement of a transaction.
pub struct Stmt<'t, 'a> {
    tx: &'t Tx<'a>,
    sql: String,
}

impl Stmt<'_, '_> {
    /// The first row mapped by `f`; [`OptionalExtension::optional`] turns "no row" into `None`.
    pub fn query_row<T, P: Params>(
        &mut self,
        params: P,
        mut f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<T> {
        match self.tx.rows(&self.sql, params.values())?.first() {
            Some(r) => f(r),
            None => Err(Error::NoRows),
        }
    }

    /// Every row mapped by `f`.
    pub fn query_map<T, P: Params>(
        &mut self,
        params: P,
        mut f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
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

fn from_sqlite(v: rusqlite::types::Value) -> Value {
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

mod pg_types {
    use super::Value;
    use std::error::Error as StdError;
    use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};

    type BoxError = Box<dyn StdError + Sync + Send>;

    /// Binds by the parameter's declared type: integers as the column's width, text and bytes
    /// as they are. The schema uses BIGINT, TEXT and BYTEA only.
    impl ToSql for Value {
        fn to_sql(
            &self,
            ty: &Type,
            out: &mut tokio_postgres::types::private::BytesMut,
        ) -> Result<IsNull, BoxError> {
            match self {
                Value::Null => Ok(IsNull::Yes),
                Value::Int(i) => match *ty {
                    Type::INT8 => i.to_sql(ty, out),
                    Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                    Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                    Type::BOOL => (*i != 0).to_sql(ty, out),
                    Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                    _ => i.to_string().as_str().to_sql(&Type::TEXT, out),
                },
                Value::Text(t) => match *ty {
                    Type::INT8 => t.parse::<i64>()?.to_sql(ty, out),
                    Type::FLOAT8 => t.parse::<f64>()?.to_sql(ty, out),
                    Type::BYTEA => t.as_bytes().to_sql(ty, out),
                    _ => {
                        out.extend_from_slice(t.as_bytes());
                        Ok(IsNull::No)
                    }
                },
                Value::Blob(b) => b.as_slice().to_sql(&Type::BYTEA, out),
            }
        }

        fn accepts(_: &Type) -> bool {
            true
        }

        to_sql_checked!();
    }

    impl<'a> FromSql<'a> for Value {
        fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Value, BoxError> {
            Ok(match *ty {
                Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
                Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
                Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
                Type::OID => Value::Int(u32::from_sql(ty, raw)?.into()),
                Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
                Type::BYTEA => Value::Blob(raw.to_vec()),
                Type::FLOAT8 => Value::Int(f64::from_sql(ty, raw)? as i64),
                _ => Value::Text(String::from_utf8(raw.to_vec())?),
            })
        }

        fn from_sql_null(_: &Type) -> Result<Value, BoxError> {
            Ok(Value::Null)
        }

        fn accepts(_: &Type) -> bool {
            true
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_name_their_table_and_reads_theirs() {
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
        assert_eq!(
            super::read_tables(
                "SELECT p.id FROM pools p JOIN scopes s ON s.id = p.scope_id WHERE x IN (SELECT 1 FROM organizations)"
            ),
            vec!["pools", "scopes", "organizations"]
        );
    }

    #[test]
    fn numbered_parameters_become_dollars_outside_quotes() {
        assert_eq!(
            super::numbered("SELECT '?1', x FROM t WHERE a = ?1 AND b = ?12"),
            "SELECT '?1', x FROM t WHERE a = $1 AND b = $12"
        );
    }
}
