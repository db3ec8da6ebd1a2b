//! Store and engine errors as Terraform diagnostics, on the attribute the user must change.

use crate::engine::Error as EngineError;
use crate::store::Error;
use tfplug::Diagnostics;

/// Which attribute of the resource each kind of refusal is about.
pub struct Paths {
    pub cidr: &'static str,
    pub netmask: &'static str,
    pub pool: &'static str,
    pub tags: &'static str,
}

pub const ALLOCATION: Paths = Paths {
    cidr: "cidr",
    netmask: "netmask_length",
    pool: "ipam_pool_id",
    tags: "tags",
};

/// Adds `err` as an error diagnostic. `summary` says what was being done.
pub fn report(diags: &mut Diagnostics, summary: &str, err: Error, paths: &Paths) {
    let detail = err.to_string();
    let path = match &err {
        Error::Engine(e) => Some(match e {
            EngineError::Cidr(_)
            | EngineError::FamilyMismatch { .. }
            | EngineError::OutsidePool { .. }
            | EngineError::Overlap { .. }
            | EngineError::InUse { .. } => paths.cidr,
            EngineError::NetmaskOutOfRange { .. }
            | EngineError::LargerThanAllowed { .. }
            | EngineError::SmallerThanAllowed { .. }
            | EngineError::NoNetmask
            | EngineError::TooSmall { .. }
            | EngineError::Exhausted { .. } => paths.netmask,
            EngineError::MissingTags { .. } => paths.tags,
            EngineError::MinAboveMax { .. } => "allocation_min_netmask_length",
            EngineError::DefaultOutsideRange { .. } => "allocation_default_netmask_length",
        }),
        Error::NotFound { .. } => Some(paths.pool),
        Error::Invalid { attr, .. } => Some(*attr),
        _ => None,
    };
    match path {
        Some(p) if !p.is_empty() => diags.error_at(p, summary, detail),
        _ => diags.error(summary, detail),
    }
}

/// An error with no particular attribute.
pub fn report_plain(diags: &mut Diagnostics, summary: &str, err: Error) {
    diags.error(summary, err.to_string());
}

/// A store lookup for Read: the record, `None` when it is gone (Terraform then plans to create
/// it again), or `None` with an error diagnostic when the lookup itself failed.
pub fn found<T>(
    r: crate::store::Result<Option<T>>,
    diags: &mut Diagnostics,
    summary: &str,
) -> Option<T> {
    match r {
        Ok(v) => v,
        Err(e) => {
            report_plain(diags, summary, e);
            None
        }
    }
}

/// The outcome of a Delete: success, also when the object was already gone (someone removed it
/// outside Terraform); otherwise an error on `path`, the argument that would let it through.
pub fn deleted(r: crate::store::Result<()>, diags: &mut Diagnostics, path: &str, summary: &str) {
    match r {
        Ok(()) | Err(Error::NotFound { .. }) => {}
        Err(e) if path.is_empty() => diags.error(summary, e.to_string()),
        Err(e) => diags.error_at(path, summary, e.to_string()),
    }
}
