//! The defaults the provider block and the command line share: one place decides where the
//! database is and who is asking when nothing says otherwise.

/// The environment variable naming the database when the provider block or `--database` does not.
pub const DATABASE_ENV: &str = "IPAM_DATABASE";
/// The database file when nothing names one: `ipam.db` in the working directory.
pub const DATABASE: &str = "ipam.db";
/// The provider-owned IPv6 space public IPv6 pools draw from by netmask length.
pub const PROVIDED_IPV6: &str = "2001:db8::/32";
/// The caller's account when neither the provider block nor `IPAM_ACCOUNT_ID` gives one.
pub const ACCOUNT_ID: &str = "000000000000";
/// The caller's region when neither the provider block, `IPAM_REGION` nor `AWS_REGION` does.
pub const REGION: &str = "us-east-1";
/// How long an unapplied plan-time reservation lives (`reservation_ttl`).
pub const RESERVATION_TTL_SECS: i64 = 86_400;
/// How long a change waits for another writer (`lock_timeout`).
pub const LOCK_TIMEOUT_SECS: i64 = 60;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The database: `configured`, else `IPAM_DATABASE`, else `ipam.db` (which backend a string
/// names is decided by [`ipam_db::Location::parse`]).
pub fn database(configured: Option<String>) -> ipam_db::Location {
    let db = configured
        .or_else(|| env(DATABASE_ENV))
        .unwrap_or_else(|| DATABASE.into());
    ipam_db::Location::parse(&db)
}

/// `IPAM_ACCOUNT_ID`, else [`ACCOUNT_ID`].
pub fn account_id() -> String {
    env("IPAM_ACCOUNT_ID").unwrap_or_else(|| ACCOUNT_ID.into())
}

/// `IPAM_REGION`, else `AWS_REGION`, else [`REGION`].
pub fn region() -> String {
    env("IPAM_REGION")
        .or_else(|| env("AWS_REGION"))
        .unwrap_or_else(|| REGION.into())
}
