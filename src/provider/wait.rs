//! Deleting what others are still leaving: a pool CIDR or a pool that still holds allocations
//! or child pools waits for them to go, as the AWS provider waits on deprovisioning.
//!
//! Terraform destroys resources that do not reference each other in parallel: an allocation
//! and its pool's CIDR, a child pool's CIDR and its parent's. The deletion that comes first
//! would fail although the same run is about to remove what blocks it. So it tries again,
//! each try one short transaction (no lock is held between tries, so the deletions it waits
//! for can run), until it succeeds, fails for another reason, or the resource's
//! `timeouts { delete = "…" }` has passed; then it fails naming the blockers.

use super::config::{parse_duration, DURATION};
use crate::store::{Error, Result};
use std::time::{Duration, Instant};
use tfplug::{Attribute, Block, Schema, Type, Value};

/// How long a deletion waits for what it holds when the configuration says nothing: long
/// enough for the rest of a large destroy to release it, short enough that a block held by
/// another configuration fails the run in minutes.
pub const DEFAULT_DELETE: &str = "5m";

/// The `timeouts` block of a resource whose deletion waits, as in the AWS provider; `others`
/// are the AWS provider's other operations of the resource, accepted without a local effect.
pub fn timeouts_block(what: &str, others: &[&str]) -> Block {
    let mut schema = Schema::new()
        .description("How long operations may wait, as in the AWS provider's `timeouts` block.");
    for op in others {
        schema = schema.attribute(
            Attribute::optional(op, Type::String)
                .check(DURATION)
                .description(&format!("Accepted for the AWS provider's configurations, no local effect: {op} never waits here.")),
        );
    }
    Block::single(
        "timeouts",
        schema
            .attribute(
                Attribute::optional("delete", Type::String)
                    .check(DURATION)
                    .description(&format!(
                        "How long destroying waits for {what} to be released or destroyed (by the same `terraform destroy`, which removes resources in parallel, or by another configuration), such as `30s`, `10m`. Default `{DEFAULT_DELETE}`."
                    )),
            ),
    )
    .config_only()
}

/// The delete timeout a resource's state (its prior value at destroy) asks for.
pub fn delete_timeout(prior: &Value) -> Duration {
    let secs = prior
        .get("timeouts")
        .and_then(|t| t.get("delete"))
        .and_then(Value::as_str)
        .and_then(parse_duration)
        .or_else(|| parse_duration(DEFAULT_DELETE))
        .unwrap_or(300);
    Duration::from_secs(secs.max(0) as u64)
}

/// Runs `attempt` until it succeeds, fails other than `blocked`, or `timeout` has passed;
/// returns its last result and, when it ended refused by `blocked`, how long it waited.
/// Sleeps between tries, holding nothing.
pub fn until_free<T>(
    timeout: Duration,
    mut attempt: impl FnMut() -> Result<T>,
    blocked: impl Fn(&Error) -> bool,
) -> (Result<T>, Option<Duration>) {
    let start = Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        match attempt() {
            Err(e) if blocked(&e) => {
                let waited = start.elapsed();
                if waited >= timeout {
                    return (Err(e), Some(waited));
                }
                std::thread::sleep(pause.min(timeout - waited));
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            other => return (other, None),
        }
    }
}

/// "Waited 5m0s …" for a failure's detail.
pub fn waited(d: Duration) -> String {
    let s = d.as_secs();
    let shown = if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    };
    format!(
        "\n\nWaited {shown} for them to go (the resource's timeouts {{ delete = \"…\" }}, default {DEFAULT_DELETE}); run terraform destroy again once they are released, or raise the timeout."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeout_comes_from_the_state_or_the_default() {
        let t = |v: Value| delete_timeout(&Value::object([("timeouts", v)]));
        assert_eq!(t(Value::Null), Duration::from_secs(300));
        assert_eq!(
            t(Value::object([("delete", Value::string("45s"))])),
            Duration::from_secs(45)
        );
        assert_eq!(
            t(Value::object([("delete", Value::Null)])),
            Duration::from_secs(300)
        );
    }

    #[test]
    fn a_blocked_attempt_is_retried_until_it_succeeds_or_time_runs_out() {
        let mut n = 0;
        let (got, waited) = until_free(
            Duration::from_secs(5),
            || {
                n += 1;
                if n < 3 {
                    Err(Error::Db(ipam_db::Error::Busy { holders: None }))
                } else {
                    Ok(n)
                }
            },
            |e| matches!(e, Error::Db(ipam_db::Error::Busy { .. })),
        );
        assert_eq!((got.ok(), waited), (Some(3), None));
        let started = Instant::now();
        let (got, waited): (Result<()>, _) = until_free(
            Duration::from_millis(200),
            || Err(Error::Db(ipam_db::Error::Busy { holders: None })),
            |e| matches!(e, Error::Db(ipam_db::Error::Busy { .. })),
        );
        assert!(
            matches!(got, Err(Error::Db(ipam_db::Error::Busy { holders: None })))
                && waited.is_some()
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        let (got, waited): (Result<()>, _) = until_free(
            Duration::from_secs(60),
            || Err(Error::Db(ipam_db::Error::ReadOnly)),
            |e| matches!(e, Error::Db(ipam_db::Error::Busy { .. })),
        );
        assert!(
            matches!(got, Err(Error::Db(ipam_db::Error::ReadOnly))) && waited.is_none(),
            "other errors fail at once"
        );
    }
}
