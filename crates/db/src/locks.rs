//! The PostgreSQL advisory lock keys every writer takes, in one place: the transaction takes
//! them, and a busy error names who holds them.

/// The advisory lock key every PostgreSQL write transaction holds, shared or exclusive
/// ("IPAM" in ASCII).
pub const WRITE_LOCK: i64 = 0x4950_414d;

/// The first of the two keys of a keyed advisory lock (the second is the hash of the key).
pub const KEY_LOCK_CLASS: i32 = 0x4950;

/// The advisory lock two first users of an empty PostgreSQL database queue on while one of
/// them creates the schema.
pub const PG_MIGRATE_LOCK: i64 = 0x4950_414e;
