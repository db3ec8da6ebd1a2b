//! The PostgreSQL backend: where to connect (libpq's URL form and `PG*` variables), TLS through
//! rustls, the connection kept across calls (reconnected when the server dropped it) and driven
//! in pipelines, and what the server's error codes mean for a user.

pub(crate) mod session;
mod types;

use crate::value::Value;
use crate::{Error, Result};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::config::SslMode;

/// Why a connection could not be opened: our TLS setup, or the server (or the way to it).
enum ConnectError {
    Setup(Error),
    Server(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for ConnectError {
    fn from(e: tokio_postgres::Error) -> Self {
        ConnectError::Server(e)
    }
}

/// Whether `database` names a PostgreSQL server rather than a SQLite file.
pub fn is_url(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

/// How to verify the server's certificate (libpq's `sslmode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verify {
    Disable,
    /// Encrypt when the server can, without checking who it is (`prefer`, libpq's default).
    Prefer,
    /// Encrypt always, without checking who it is.
    Require,
    /// Encrypt, and check the certificate chains to `sslrootcert` and names the host.
    Full,
}

/// A parsed connection target: the client settings plus what the driver does not parse itself.
pub struct Target {
    config: tokio_postgres::Config,
    verify: Verify,
    root_cert: Option<String>,
    /// The URL without its password, for messages.
    pub display: String,
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URL with every password replaced, safe to show and to store: the user part's
/// (`user:secret@`, also a secret holding `@` or `/`) and the query string's (`password=`,
/// `sslpassword=`).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    // The last `@` before the query ends the user part: hosts and paths hold none.
    let authority = match before_query.rfind('@') {
        Some(at) => match before_query[..at].split_once(':') {
            Some((user, _)) => format!("{user}:***{}", &before_query[at..]),
            None => before_query.to_string(),
        },
        None => before_query.to_string(),
    };
    let query = query.map(|q| {
        q.split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if matches!(k, "password" | "sslpassword") => format!("{k}=***"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    match query {
        Some(q) => format!("{scheme}://{authority}?{q}"),
        None => format!("{scheme}://{authority}"),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Target {
    /// Parses `url` (libpq's URL form). What it leaves out comes from `PGHOST`, `PGPORT`,
    /// `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGCONNECT_TIMEOUT`.
    pub fn parse(url: &str) -> Result<Target> {
        let bad =
            |m: String| Error::Unavailable(format!("invalid database URL {}: {m}", redact(url)));
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let mut sslmode = env("PGSSLMODE");
        let mut root_cert = env("PGSSLROOTCERT");
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "sslmode" => sslmode = Some(percent_decode(v)),
                "sslrootcert" => root_cert = Some(percent_decode(v)),
                _ => kept.push(pair),
            }
        }
        let rebuilt = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let mut config =
            tokio_postgres::Config::from_str(&rebuilt).map_err(|e| bad(e.to_string()))?;
        if config.get_hosts().is_empty() {
            let host = env("PGHOST").unwrap_or_else(|| "localhost".into());
            for h in host.split(',') {
                config.host(h);
            }
        }
        if config.get_ports().is_empty() {
            if let Some(p) = env("PGPORT") {
                config.port(
                    p.parse()
                        .map_err(|_| bad(format!("PGPORT {p:?} is not a port")))?,
                );
            }
        }
        if config.get_user().is_none() {
            let user = env("PGUSER")
                .or_else(|| env("USER"))
                .unwrap_or_else(|| "postgres".into());
            config.user(&user);
        }
        if config.get_password().is_none() {
            if let Some(p) = env("PGPASSWORD") {
                config.password(p);
            }
        }
        if config.get_dbname().is_none() {
            if let Some(d) = env("PGDATABASE") {
                config.dbname(&d);
            }
        }
        if config.get_connect_timeout().is_none() {
            let secs = env("PGCONNECT_TIMEOUT")
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(10);
            config.connect_timeout(Duration::from_secs(secs.max(1)));
        }
        if config.get_application_name().is_none() {
            config.application_name("terraform-provider-ipam");
        }
        let verify = match sslmode.as_deref().unwrap_or("prefer") {
            "disable" => Verify::Disable,
            "allow" | "prefer" => Verify::Prefer,
            "require" if root_cert.is_some() => Verify::Full,
            "require" => Verify::Require,
            "verify-ca" | "verify-full" => Verify::Full,
            other => {
                return Err(bad(format!(
                    "sslmode={other} is not one of disable, prefer, require, verify-full"
                )))
            }
        };
        config.ssl_mode(match verify {
            Verify::Disable => SslMode::Disable,
            Verify::Prefer => SslMode::Prefer,
            Verify::Require | Verify::Full => SslMode::Require,
        });
        Ok(Target {
            config,
            verify,
            root_cert,
            display: redact(url),
        })
    }

    /// Opens a connection with `lock_timeout` for every statement that waits for a lock, driven
    /// by `runtime`.
    fn connect(
        &self,
        runtime: &tokio::runtime::Runtime,
        lock_timeout: Duration,
        read_only: bool,
        sync_cancelled: &Arc<AtomicBool>,
    ) -> Result<(tokio_postgres::Client, Option<String>)> {
        let client = runtime
            .block_on(async {
                let client = match self.verify {
                    Verify::Disable => {
                        let (client, connection) = self.config.connect(tokio_postgres::NoTls).await?;
                        runtime.spawn(drive(connection, sync_cancelled.clone()));
                        client
                    }
                    _ => {
                        let tls = tls(self.verify, self.root_cert.as_deref())
                            .map_err(ConnectError::Setup)?;
                        let (client, connection) = self.config.connect(tls).await?;
                        runtime.spawn(drive(connection, sync_cancelled.clone()));
                        client
                    }
                };
                let read_only = if read_only {
                    "; SET default_transaction_read_only = on"
                } else {
                    ""
                };
                client
                    .batch_execute(&format!(
                        "SET lock_timeout = '{}ms'; SET idle_in_transaction_session_timeout = '5min'; SET plan_cache_mode = force_generic_plan{read_only}",
                        lock_timeout.as_millis().max(1)
                    ))
                    .await?;
                // A server that will not say (a managed service that hides its control data)
                // leaves the identity unknown: a lost commit is then judged by its change.
                let identity = client.simple_query(IDENTITY).await.ok().and_then(|replies| {
                    replies.iter().find_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(String::from),
                        _ => None,
                    })
                });
                Ok((client, identity))
            })
            .map_err(|e| match e {
                ConnectError::Setup(e) => e,
                ConnectError::Server(e) => self.unavailable(&e),
            })?;
        Ok(client)
    }

    /// Why connecting failed, worded for the person who configured `database`.
    fn unavailable(&self, e: &tokio_postgres::Error) -> Error {
        let what = match e.code().map(|c| c.code()) {
            Some("28P01") | Some("28000") => {
                "the server refused the user name or password (check the URL's user and password, or PGPASSWORD)".to_string()
            }
            Some("3D000") => "the database does not exist (create it first: see docs/guides/postgresql.md)".to_string(),
            _ => describe(e),
        };
        Error::Unavailable(format!("cannot connect to {}: {what}", self.display))
    }
}

/// Drives a connection's socket, noting in `sync_cancelled` when the server says it stopped
/// waiting for its synchronous standbys (a cancel, ours or a person's `pg_cancel_backend`): the
/// commit then succeeds with only that warning, although no standby confirmed it. (The
/// server's own English text is matched: a server set to another `lc_messages` says it
/// otherwise, and only the bounded wait's own timeout is then seen.)
async fn drive<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    sync_cancelled: Arc<AtomicBool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    while let Some(message) = futures_util::future::poll_fn(|cx| connection.poll_message(cx)).await
    {
        match message {
            Ok(tokio_postgres::AsyncMessage::Notice(n))
                if n.message()
                    .starts_with("canceling wait for synchronous replication") =>
            {
                sync_cancelled.store(true, Ordering::SeqCst);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
}

/// Which server, in which life, a connection talks to: the cluster's system identifier, the
/// timeline it writes (a promoted standby starts a new one) and when its postmaster started (a
/// crash restart changes it). A transaction id means the same transaction only while this is
/// unchanged: a crash or a failover may hand the ids of lost transactions out again, so a
/// commit whose answer was lost is then judged by its change, not by `txid_status`
/// (`backend::fate`). Every function here is open to any role.
const IDENTITY: &str = "SELECT system_identifier::text || '/' || CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8) END || '/' || extract(epoch FROM pg_postmaster_start_time())::text FROM pg_control_system()";

/// Makes everything committed before it as durable as `synchronous_commit = on` makes a
/// commit: flushed to the server's disk, and confirmed by the synchronous standbys that
/// `synchronous_standby_names` asks for (or as `remote_apply`, when the server is set to
/// that). A transaction that writes no WAL commits without waiting whatever the setting, so
/// this one writes a transactional logical message (open to every role, at any `wal_level`):
/// its commit record lies after every change committed before it, and the flush, or the
/// standby's confirmation, of it covers them all. Concurrent writers share one flush. One
/// statement, its own implicit transaction (the setting holds until its commit is written): a
/// failure leaves no transaction block open on the connection.
pub const DURABLE: &str = "SELECT set_config('synchronous_commit', CASE current_setting('synchronous_commit') WHEN 'remote_apply' THEN 'remote_apply' ELSE 'on' END, true), pg_logical_emit_message(true, 'terraform-provider-ipam', 'durable')";

/// How a pipeline bounded in time ended ([`PgConn::pipeline_within`]).
pub(crate) enum Bounded {
    /// Every answer came within the bound.
    Answered(Vec<std::result::Result<Reply, tokio_postgres::Error>>),
    /// The bound passed: the server was asked to cancel what it was waiting for. The answers
    /// that came after the cancel, if any did.
    TimedOut(Option<Vec<std::result::Result<Reply, tokio_postgres::Error>>>),
}

/// A driver error as one line: the server's message, or the I/O cause.
pub fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A server error as facts: busy, read-only, a refused privilege, a row a constraint refused,
/// a lost connection, or plain SQL.
impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        let constraint = || {
            e.as_db_error()
                .and_then(|d| d.constraint())
                .unwrap_or_default()
                .to_string()
        };
        match e.code().map(|c| c.code()) {
            Some("23505" | "23P01") => Error::Conflict {
                constraint: constraint(),
                message: describe(&e),
            },
            Some("55P03") => Error::Busy { holders: None },
            Some("25006") => Error::ReadOnly,
            // The login role lacks the privilege, or a guard trigger refused a write its
            // rules forbid this role (the message says which).
            Some("42501") => Error::Denied(describe(&e)),
            Some(code) if code.starts_with("57P") || code.starts_with("08") => {
                Error::Unavailable(lost(&e))
            }
            Some(code) => Error::Sql {
                code: code.to_string(),
                message: describe(&e),
            },
            None if e.is_closed() || std::error::Error::source(&e).is_some() => {
                Error::Unavailable(lost(&e))
            }
            None => Error::Sql {
                code: String::new(),
                message: describe(&e),
            },
        }
    }
}

/// A dropped connection: the server rolled the change back.
fn lost(e: &tokio_postgres::Error) -> String {
    format!(
        "the connection to the database server was lost ({}); the change was rolled back",
        describe(e)
    )
}

fn tls(
    verify: Verify,
    root_cert: Option<&str>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    use rustls::ClientConfig;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Unavailable(format!("TLS setup: {e}")))?;
    let config = if verify == Verify::Full {
        let path = root_cert
            .map(String::from)
            .unwrap_or_else(|| format!("{}/.postgresql/root.crt", env("HOME").unwrap_or_default()));
        let mut roots = rustls::RootCertStore::empty();
        let certs = read_pem_certs(&path)?;
        for c in certs {
            roots
                .add(c)
                .map_err(|e| Error::Unavailable(format!("sslrootcert {path}: {e}")))?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
            .with_no_client_auth()
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

fn read_pem_certs(path: &str) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    let bad = |m: String| Error::Unavailable(format!("sslrootcert {path}: {m}"));
    let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no PEM certificate in the file".into()));
    }
    Ok(certs)
}

/// `sslmode=require` (and `prefer`): encrypted, the server's signature checked, its identity
/// not (libpq's meaning of those modes).
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// One connection to the server, its prepared statements, and the small runtime that drives
/// it. The store's logic is synchronous; it talks to the server through [`PgConn::pipeline`],
/// which sends any number of requests before reading the first answer: the server runs them in
/// order, and the whole batch costs one round trip. While a pool's lock is held every round
/// trip delays each writer queued behind it, so the store batches what it can (see
/// [`crate::Tx::defer`]). The connection is reopened when the server dropped it (a
/// restart, `pg_terminate_backend`): the next call works again.
pub struct PgConn {
    target: Target,
    lock_timeout: Duration,
    /// Drives the connection's socket, only while a call waits for an answer (the thread
    /// that calls is the runtime's only thread).
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    cache: HashMap<String, tokio_postgres::Statement>,
    pub(crate) read_only: bool,
    /// The server this connection talks to ([`IDENTITY`]), when it could be read.
    identity: Option<String>,
    /// Set when the server said it stopped waiting for its synchronous standbys ([`drive`]).
    sync_cancelled: Arc<AtomicBool>,
}

/// One request of a [`PgConn::pipeline`].
pub(crate) enum Request {
    /// SQL without parameters, possibly several statements (BEGIN, COMMIT, DDL).
    Simple(String),
    /// A prepared statement whose rows are wanted.
    Query(tokio_postgres::Statement, Vec<Value>),
    /// A prepared statement whose count of rows changed is wanted.
    Execute(tokio_postgres::Statement, Vec<Value>),
}

/// What the server answered to one [`Request`].
pub(crate) enum Reply {
    Done,
    Rows(Vec<tokio_postgres::Row>),
    Count(u64),
}

impl PgConn {
    pub fn open(url: &str, lock_timeout: Duration, read_only: bool) -> Result<PgConn> {
        let target = Target::parse(url)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Unavailable(format!("cannot start the database client: {e}")))?;
        let sync_cancelled = Arc::new(AtomicBool::new(false));
        let (client, identity) =
            target.connect(&runtime, lock_timeout, read_only, &sync_cancelled)?;
        Ok(PgConn {
            sync_cancelled,
            target,
            lock_timeout,
            runtime,
            client,
            cache: HashMap::new(),
            read_only,
            identity,
        })
    }

    pub fn display(&self) -> &str {
        &self.target.display
    }

    /// Reconnects when the server closed the connection.
    pub(crate) fn ensure_open(&mut self) -> Result<()> {
        if self.client.is_closed() {
            self.reconnect()?;
        }
        Ok(())
    }

    /// Replaces the connection (one the server stopped answering, or dropped).
    pub(crate) fn reconnect(&mut self) -> Result<()> {
        self.sync_cancelled = Arc::new(AtomicBool::new(false));
        let (client, identity) = self.target.connect(
            &self.runtime,
            self.lock_timeout,
            self.read_only,
            &self.sync_cancelled,
        )?;
        self.client = client;
        self.identity = identity;
        self.cache.clear();
        Ok(())
    }

    /// The server this connection talks to, in its current life ([`IDENTITY`]).
    pub(crate) fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }

    /// How long a change waits for its durability to be confirmed: as long as it waits for
    /// a lock (`lock_timeout`), at least a second.
    pub(crate) fn durability_bound(&self) -> Duration {
        self.lock_timeout.max(Duration::from_secs(1))
    }

    /// `sql` (with `?N` parameters) prepared on this connection, once.
    pub(crate) fn prepare(&mut self, sql: &str) -> Result<tokio_postgres::Statement> {
        if let Some(stmt) = self.cache.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self
            .runtime
            .block_on(self.client.prepare(&crate::dialect::numbered(sql)))?;
        self.cache.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    /// Sends every request, then waits for every answer: one round trip. The answers come in
    /// the requests' order. After a failed request the server refuses the rest of the
    /// transaction's requests (they fail too), so the first failure is the one that matters.
    pub(crate) fn pipeline(
        &self,
        requests: &[Request],
    ) -> Vec<std::result::Result<Reply, tokio_postgres::Error>> {
        self.runtime.block_on(self.answers(requests))
    }

    /// [`PgConn::pipeline`], waiting at most `bound` for the answers. Past it the server is
    /// asked to cancel what it waits for (a synchronous standby that does not answer, say)
    /// and given a few seconds to answer; a cancelled wait for a standby leaves its
    /// transaction committed on this server, which the caller must not report as durable.
    pub(crate) fn pipeline_within(&mut self, requests: &[Request], bound: Duration) -> Bounded {
        self.sync_cancelled.store(false, Ordering::SeqCst);
        let outcome = self.runtime.block_on(async {
            let answers = self.answers(requests);
            futures_util::pin_mut!(answers);
            if let Ok(all) = tokio::time::timeout(bound, &mut answers).await {
                // Someone else cancelled the wait for the standbys: answered, not confirmed.
                if self.sync_cancelled.load(Ordering::SeqCst) {
                    return Bounded::TimedOut(Some(all));
                }
                return Bounded::Answered(all);
            }
            let _ = self.cancel().await;
            Bounded::TimedOut(
                tokio::time::timeout(Duration::from_secs(5), answers)
                    .await
                    .ok(),
            )
        });
        // After a timeout the connection is replaced: a cancel still on its way must not reach
        // its next statement, and a server that answered nothing is asked afresh.
        if matches!(outcome, Bounded::TimedOut(_)) {
            let _ = self.reconnect();
        }
        outcome
    }

    /// Asks the server to cancel the statement this connection is running.
    async fn cancel(&self) -> Result<()> {
        let token = self.client.cancel_token();
        let sent = match self.target.verify {
            Verify::Disable => token.cancel_query(tokio_postgres::NoTls).await,
            verify => {
                let tls = tls(verify, self.target.root_cert.as_deref())?;
                token.cancel_query(tls).await
            }
        };
        sent.map_err(|e| Error::Unavailable(describe(&e)))
    }

    /// The answers to `requests`, sent in one go.
    fn answers<'r>(
        &'r self,
        requests: &'r [Request],
    ) -> impl std::future::Future<Output = Vec<std::result::Result<Reply, tokio_postgres::Error>>> + 'r
    {
        type Answer = std::result::Result<Reply, tokio_postgres::Error>;
        use futures_util::future::{join_all, BoxFuture, FutureExt};
        fn bind(values: &[Value]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
            values
                .iter()
                .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
                .collect()
        }
        let client = &self.client;
        // join_all polls the futures in order, and each sends its request on its first
        // poll: the requests leave in order, before any answer is awaited.
        let futures: Vec<BoxFuture<'_, Answer>> = requests
            .iter()
            .map(|r| match r {
                Request::Simple(sql) => async move {
                    client.batch_execute(sql).await?;
                    Ok(Reply::Done)
                }
                .boxed(),
                Request::Query(stmt, values) => {
                    async move { Ok(Reply::Rows(client.query(stmt, &bind(values)).await?)) }.boxed()
                }
                Request::Execute(stmt, values) => {
                    async move { Ok(Reply::Count(client.execute(stmt, &bind(values)).await?)) }
                        .boxed()
                }
            })
            .collect();
        join_all(futures)
    }

    /// What the server knows of transaction `xid` (`txid_status`): "committed", "aborted",
    /// "in progress", or `None` when it is too old to tell. Reconnects first.
    pub(crate) fn transaction_status(&mut self, xid: i64) -> Result<Option<String>> {
        self.ensure_open()?;
        let row = self
            .runtime
            .block_on(self.client.query_one("SELECT txid_status($1)", &[&xid]))?;
        Ok(row.get(0))
    }

    /// `e`, and when it is [`Error::Busy`], the sessions holding the store's locks now: its
    /// wait has ended, so the server no longer says who blocked it, but pg_locks and
    /// pg_stat_activity (readable by every role) say who holds the advisory locks the store's
    /// writers take (transaction.rs), else who has a write in flight in this database. Asked on
    /// a fresh statement, outside the failed transaction.
    pub(crate) fn name_lock_holders(&mut self, e: Error) -> Error {
        if !matches!(e, Error::Busy { holders: None }) {
            return e;
        }
        let holders = self
            .query(&format!(
                "SELECT COALESCE(
                     (SELECT string_agg(DISTINCT format('the role %s (process id %s)', a.usename, l.pid), ', ')
                      FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                      WHERE l.granted AND l.pid <> pg_backend_pid() AND l.locktype = 'advisory'
                        AND a.datname = current_database()
                        AND ((l.classid = 0 AND l.objid = {write} AND l.objsubid = 1)
                             OR (l.classid = {pool} AND l.objsubid = 2)
                             OR (l.classid = 0 AND l.objid = {migrate} AND l.objsubid = 1))),
                     (SELECT string_agg(DISTINCT format('the role %s (process id %s)', a.usename, l.pid), ', ')
                      FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                      WHERE l.granted AND l.pid <> pg_backend_pid() AND l.locktype = 'relation'
                        AND l.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
                        AND a.datname = current_database() AND a.xact_start IS NOT NULL))",
                write = crate::locks::WRITE_LOCK,
                pool = crate::locks::KEY_LOCK_CLASS,
                migrate = crate::locks::PG_MIGRATE_LOCK,
            ))
            .ok()
            .and_then(|rows| rows.first().and_then(|r| r.get::<_, Option<String>>(0)));
        Error::Busy { holders }
    }

    /// Whether the row `witness` looks for is there (the change of a transaction whose
    /// COMMIT's answer was lost).
    pub(crate) fn witness_exists(&mut self, witness: &crate::Witness) -> Result<bool> {
        self.ensure_open()?;
        let stmt = self.prepare(witness.sql)?;
        let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = witness
            .values
            .iter()
            .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        let rows = self.runtime.block_on(self.client.query(&stmt, &params))?;
        Ok(!rows.is_empty())
    }

    /// Runs [`DURABLE`] on its own (after a lost connection): waits, as a commit does, at most
    /// [`PgConn::durability_bound`].
    pub(crate) fn durable(&mut self) -> Result<()> {
        self.ensure_open()?;
        let bound = self.durability_bound();
        match self.pipeline_within(&[Request::Simple(DURABLE.into())], bound) {
            Bounded::Answered(mut a) => match a.pop() {
                Some(Ok(_)) => Ok(()),
                Some(Err(e)) => Err(e.into()),
                None => Err(Error::Unavailable("no answer from the server".into())),
            },
            Bounded::TimedOut(_) => Err(Error::not_confirmed(bound)),
        }
    }

    /// One statement without parameters, alone (setup, version checks).
    pub(crate) fn query(&mut self, sql: &str) -> Result<Vec<tokio_postgres::Row>> {
        self.ensure_open()?;
        Ok(self.runtime.block_on(self.client.query(sql, &[]))?)
    }

    /// Runs `f` with the client on this connection's runtime (migrations, which need a
    /// transaction of the driver's own).
    pub(crate) fn run<T>(
        &mut self,
        f: impl for<'c> FnOnce(
            &'c mut tokio_postgres::Client,
        ) -> futures_util::future::BoxFuture<'c, Result<T>>,
    ) -> Result<T> {
        self.ensure_open()?;
        self.runtime.block_on(f(&mut self.client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db?sslmode=require"),
            "postgres://u:***@h:5432/db?sslmode=require"
        );
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert_eq!(
            redact("postgres://u:p@ss/w@h1:5432,h2/db?password=x&sslmode=require&sslpassword=y"),
            "postgres://u:***@h1:5432,h2/db?password=***&sslmode=require&sslpassword=***"
        );
        assert_eq!(
            redact("postgresql://u@h/db?user=u&password=secret"),
            "postgresql://u@h/db?user=u&password=***"
        );
    }

    #[test]
    fn sslmodes_and_unknown_modes() {
        let t =
            Target::parse("postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fx.pem").unwrap();
        assert_eq!(t.verify, Verify::Full);
        assert_eq!(t.root_cert.as_deref(), Some("/x.pem"));
        assert_eq!(
            Target::parse("postgres://u@h/db?sslmode=disable")
                .unwrap()
                .verify,
            Verify::Disable
        );
        let e = Target::parse("postgres://u@h/db?sslmode=sometimes")
            .err()
            .unwrap();
        assert!(e.to_string().contains("sslmode=sometimes"), "{e}");
    }
}
