//! What can go wrong below the rules: facts about the database, never about IPAM, and never
//! worded as advice (the caller knows what the user was doing and says what to do).

/// A database failure, the same for both backends: no driver type crosses it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another writer held the lock longer than the lock timeout. On PostgreSQL, `holders`
    /// names the sessions that held the locks once the wait ended (role and process id), so
    /// an administrator can find, or end, one that holds them too long.
    #[error("the database is busy: another writer held it longer than the lock timeout{}", holders.as_ref().map(|h| format!(" (held by {h})")).unwrap_or_default())]
    Busy { holders: Option<String> },
    /// The file (or its directory, or the server) takes no writes.
    #[error("the database is read-only")]
    ReadOnly,
    /// The server refused this login role the statement: a missing privilege, or a guard
    /// trigger's refusal (its message says which rule).
    #[error("the database refused: {0}")]
    Denied(String),
    /// The server cannot be reached, refused the login, or dropped the connection before the
    /// change committed: nothing of it was kept.
    #[error("{0}")]
    Unavailable(String),
    /// The connection was lost while the change was committing, and the server could not be
    /// asked afterwards whether it committed.
    #[error("the connection to the database server was lost while the change was committing, and the server could not be asked whether it committed")]
    CommitUnknown,
    /// The server committed the change but did not confirm it durable in time (a synchronous
    /// standby that does not answer): success must not be reported for what a failover loses.
    #[error("the database server committed the change but did not confirm it durable within {seconds} s ({why})")]
    NotDurable { seconds: u64, why: String },
    /// A unique or exclusion constraint refused a row; `constraint` is its name.
    #[error("the database refused a row that conflicts with another ({constraint}): {message}")]
    Conflict { constraint: String, message: String },
    /// A row's column did not hold what the caller expected.
    #[error("database error: unexpected column value: {0}")]
    Column(String),
    /// A query that must return a row returned none (see [`crate::OptionalExtension`]).
    #[error("database error: the query returned no row")]
    NoRows,
    /// Any other SQL failure: `code` is SQLite's result code name or PostgreSQL's SQLSTATE.
    #[error("database error: {message}")]
    Sql { code: String, message: String },
    /// The file cannot be opened as a database.
    #[error("cannot open the database {path}: {message}")]
    Open { path: String, message: String },
    /// The file exists but is not a SQLite database.
    #[error("{path} is not a database file")]
    NotADatabase { path: String },
    /// The database was written by a newer schema than this build's: reading could misread,
    /// writing could corrupt what the newer version relies on.
    #[error("the database {database} has schema version {found}, newer than the version {supported} this build understands")]
    NewerSchema {
        database: String,
        found: i64,
        supported: i64,
    },
    /// The schema must be brought forward, and the database cannot be written.
    #[error("the database {database} has schema version {found} and must be upgraded to {latest}, but it cannot be written")]
    UpgradeNeedsWrite {
        database: String,
        found: i64,
        latest: i64,
    },
    /// A setting or URL that names no database this crate can open.
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// A change the server committed that no synchronous standby confirmed within `bound`.
    pub(crate) fn not_confirmed(bound: std::time::Duration) -> Error {
        Error::NotDurable {
            seconds: bound.as_secs(),
            why: "no synchronous standby confirmed it".into(),
        }
    }

    /// Whether the transaction that failed so may simply run again: a serialization failure
    /// or a deadlock (PostgreSQL).
    pub fn retryable(&self) -> bool {
        matches!(self, Error::Sql { code, .. } if code == "40001" || code == "40P01")
    }
}

/// SQLite's busy, read-only and constraint conditions are facts; the rest is SQL.
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                Error::Busy { holders: None }
            }
            Some(ErrorCode::ReadOnly) => Error::ReadOnly,
            Some(code) => Error::Sql {
                code: format!("{code:?}"),
                message: e.to_string(),
            },
            None => Error::Sql {
                code: String::new(),
                message: e.to_string(),
            },
        }
    }
}

/// What opening `path` failed with: busy is busy (another process is creating or migrating
/// the file), a file that is not a database says so, the rest names the file.
pub(crate) fn open_error(path: &str, e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::DatabaseBusy | C::DatabaseLocked) => Error::Busy { holders: None },
        Some(C::ReadOnly) => Error::ReadOnly,
        Some(C::NotADatabase) => Error::NotADatabase {
            path: path.to_string(),
        },
        _ => Error::Open {
            path: path.to_string(),
            message: e.to_string(),
        },
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error type a transaction's body may fail with: anything a database [`Error`] converts
/// into, and that gives it back, so the transaction can tell a serialization failure (run
/// again) or a lost connection (reconnect) from the body's own refusals.
pub trait DbFailure: From<Error> {
    fn as_db(&self) -> Option<&Error>;
}

impl DbFailure for Error {
    fn as_db(&self) -> Option<&Error> {
        Some(self)
    }
}
