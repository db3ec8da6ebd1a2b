//! One error path: every refusal is a [`Failure`], a diagnostic that knows the attribute at
//! fault. The engine and the store state facts (which block, which allocation, which free
//! blocks); this file words them for Terraform, naming attributes and saying what to do.

use crate::engine::Error as EngineError;
use crate::store::Error as StoreError;
use crate::store::Refusal;
use tfplug::Diagnostics;

/// A refusal as Terraform shows it.
#[derive(Debug)]
pub struct Failure {
    /// The attribute at fault; `None` for the resource as a whole.
    pub path: Option<&'static str>,
    pub summary: String,
    pub detail: String,
    /// The object was not found: a delete of something already gone succeeds.
    pub gone: bool,
}

impl Failure {
    pub fn at(path: &'static str, summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Failure {
            path: (!path.is_empty()).then_some(path),
            summary: summary.into(),
            detail: detail.into(),
            gone: false,
        }
    }

    pub fn plain(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Failure::at("", summary, detail)
    }

    /// Adds the diagnostic. Its text may quote what another team stored (the description of
    /// the allocation a request overlaps): control characters are shown escaped, so that it
    /// cannot drive the terminal Terraform prints to ([`crate::text`]).
    pub fn report(self, diags: &mut Diagnostics) {
        let summary = crate::text::escape_lines(&self.summary).into_owned();
        let detail = crate::text::escape_lines(&self.detail).into_owned();
        match self.path {
            Some(p) => diags.error_at(p, summary, detail),
            None => diags.error(summary, detail),
        }
    }
}

/// Which attribute of a resource each kind of refusal is about ("" when it has none).
#[derive(Clone, Copy)]
pub struct Blame {
    pub cidr: &'static str,
    pub netmask: &'static str,
    pub pool: &'static str,
    pub tags: &'static str,
    pub name: &'static str,
    /// A refusal the data makes (not the database): the argument that would let it through.
    pub refused: &'static str,
}

/// Nothing in particular: the resource as a whole.
pub const WHOLE: Blame = Blame {
    cidr: "",
    netmask: "",
    pool: "",
    tags: "",
    name: "",
    refused: "",
};

/// An allocation's attributes (also a data source's, where they have the same names).
pub const ALLOCATION: Blame = Blame {
    cidr: "cidr",
    netmask: "netmask_length",
    pool: "ipam_pool_id",
    tags: "tags",
    name: "name",
    refused: "",
};

/// A result whose failure is reported where only "no value" can be returned (data sources).
pub trait Reported<T> {
    fn reported(self, diags: &mut Diagnostics) -> Option<T>;
}

impl<T> Reported<T> for Result<T, Failure> {
    fn reported(self, diags: &mut Diagnostics) -> Option<T> {
        self.map_err(|f| f.report(diags)).ok()
    }
}

/// Store results, worded for Terraform: `doing` says what was being done.
pub trait Doing<T> {
    fn doing(self, doing: &str, blame: &Blame) -> Result<T, Failure>;
}

impl<T> Doing<T> for crate::store::Result<T> {
    fn doing(self, doing: &str, blame: &Blame) -> Result<T, Failure> {
        self.map_err(|e| from_store(e, doing, blame))
    }
}

/// A store error worded for Terraform.
pub fn from_store(e: StoreError, doing: &str, blame: &Blame) -> Failure {
    use ipam_db::Error as Db;
    if let Some(advice) = database_advice(&e) {
        return Failure::plain(doing, advice);
    }
    match e {
        StoreError::Db(Db::Busy { holders: None }) => Failure::plain(
            "The database is busy",
            "Another Terraform run or command held the database longer than lock_timeout allows. Run again when it is done, or raise lock_timeout in the provider block (default 60s).",
        ),
        StoreError::Db(Db::Busy {
            holders: Some(holders),
        }) => Failure::plain(
            "The database is busy",
            format!("Another Terraform run, command or database session held the database longer than lock_timeout allows; the lock is held by {holders}. Run again when it is done, or raise lock_timeout in the provider block (default 60s). A session that holds it for too long can be ended by the database owner with SELECT pg_terminate_backend(<process id>)."),
        ),
        StoreError::Db(Db::ReadOnly) => Failure::plain(
            "The database is read-only",
            "The database file (or its directory) cannot be written by this process. Point database at a writable file, or give this user write permission.",
        ),
        e @ StoreError::StoredOverlap(_) => Failure::plain(
            doing,
            format!("{e}. Run `terraform-provider-ipam verify` to find and repair the pool's index."),
        ),
        StoreError::Engine(e) => engine(e, doing, blame),
        StoreError::NameTaken {
            name,
            pool_id,
            id,
            cidr,
        } => Failure::at(
            blame.name,
            doing,
            format!("the name {name:?} is already used in the pool {pool_id} by {id} ({cidr}); choose another name."),
        ),
        StoreError::Invalid {
            field,
            message,
            remedy: None,
        } => Failure::at(attribute(field), doing, message),
        StoreError::Invalid {
            field,
            message,
            remedy: Some(r),
        } => Failure::at(attribute(field), doing, format!("{message}; {}", remedy(r))),
        e @ StoreError::SourceMismatch { .. } => {
            let StoreError::SourceMismatch { what, found, .. } = &e else {
                unreachable!()
            };
            let attribute = match what {
                crate::store::SourceFact::Pool => "source_ipam_pool_id",
                crate::store::SourceFact::Owner => "resource_owner",
                crate::store::SourceFact::Region => "resource_region",
            };
            Failure::at(
                "source_resource",
                doing,
                format!("{e}: set {attribute} to {found}"),
            )
        }
        StoreError::Blocked { fact, remedy: r } => {
            Failure::at(blame.refused, doing, format!("{fact}; {}", remedy(r)))
        }
        e @ StoreError::DamagedIndex(_) => Failure::plain(
            doing,
            format!("{e}; {}", remedy(crate::store::Remedy::RepairIndex)),
        ),
        e @ StoreError::PoolInUse { .. } => Failure::at(
            blame.refused,
            doing,
            format!("{e}; remove them first, or set cascade = true to delete them with the pool"),
        ),
        StoreError::NotFound {
            kind: "IPAM pool",
            id,
        } => Failure {
            gone: true,
            ..Failure::at(
                blame.pool,
                "Unknown IPAM pool",
                format!("no IPAM pool with id {id:?} exists in this database; check the id, or create the pool first."),
            )
        },
        e @ StoreError::NotFound { .. } => Failure {
            gone: true,
            ..Failure::at(blame.pool, doing, e.to_string())
        },
        StoreError::WrongLocale {
            pool_id,
            locale,
            region,
        } => Failure::at(
            blame.pool,
            "Pool locale does not match the provider region",
            format!("The pool {pool_id} has locale {locale:?}, but this provider allocates for the region {region:?}: an allocation (a VPC's or a custom one) may only take a CIDR from a pool of its own region. Use a pool whose locale is {region:?}, or a provider configured for {locale:?}."),
        ),
        StoreError::NotAuthorized(r @ crate::store::Refusal::PoolNotShared { .. }) => Failure::at(
            blame.pool,
            "The pool is not shared with this account",
            advice(&r),
        ),
        e @ StoreError::Refused(_) => Failure::at(blame.refused, doing, e.to_string()),
        StoreError::NotAuthorized(r) => {
            Failure::at(blame.refused, doing, advice(&r))
        }
        e => Failure::plain(doing, e.to_string()),
    }
}

/// A database condition with what to do about it, the same words for Terraform and the
/// command line; `None` for what has no advice of its own.
pub fn database_advice(e: &StoreError) -> Option<String> {
    use ipam_db::Error as Db;
    Some(match e {
        StoreError::Db(e @ (Db::Unavailable(_) | Db::CommitUnknown)) => format!(
            "{e}: run the command (terraform apply) again. If the change had committed, the apply makes it again and `terraform-provider-ipam orphans --state <the state file>` finds the first one."
        ),
        StoreError::Db(e @ Db::NotDurable { .. }) => format!(
            "{e}, so it is not reported as done. Check the server's synchronous standbys (synchronous_standby_names); once they answer, terraform apply allocates again and `terraform-provider-ipam orphans --state <the state file> --release` frees the unconfirmed block."
        ),
        StoreError::Db(e @ Db::NewerSchema { .. }) => format!(
            "{e} (terraform-provider-ipam {}): use the newer provider that wrote it.",
            env!("CARGO_PKG_VERSION")
        ),
        StoreError::Db(e @ Db::UpgradeNeedsWrite { .. }) => format!(
            "{e}: open it once with write access (a writable file, or a login role that may change the schema)."
        ),
        StoreError::Moved { url, at } => format!(
            "this database file was migrated to {url} on {} (terraform-provider-ipam migrate) and no longer takes changes, so that no block is handed out twice: set the provider's `database` (or IPAM_DATABASE, or --database) to {url}.",
            tfplug::time::rfc3339_utc(*at, None)
        ),
        _ => return None,
    })
}

/// What to do, in the words of someone writing Terraform (and running this binary).
pub fn remedy(r: crate::store::Remedy) -> &'static str {
    use crate::store::Remedy as R;
    match r {
        R::ProvisionPoolCidr => "add an ipam_pool_cidr (and depends_on it) before allocating",
        R::RepairIndex => "run `terraform-provider-ipam verify --repair`",
        R::EmptyItOrCascade => {
            "delete them first, or set cascade = true to delete it with everything under it"
        }
        R::EmptyIt => "remove them first",
        R::CreateOrganization => "create an ipam_organization first",
        R::AddMember => "add it with an ipam_organization_account first",
        R::AddMemberOrAllowExternal => {
            "add it with an ipam_organization_account, or set allow_external_principals = true"
        }
        R::RemoveAdminDelegation => "remove the ipam_organization_admin_account first",
        R::PlanAgain => "run terraform plan again",
        R::AddOperatingRegion => "add it to operating_regions or pick one of them",
        R::NameExistingPools => "give pool ids or ARNs",
        R::AskPerPool => "ask per pool instead",
        R::Disassociate => "destroy its ipam_resource_discovery_association first",
        R::UseVpcAllocation => "use the vpc_id of an ipam_vpc_allocation",
    }
}

/// The attribute a user writes `field` as (the same name in every resource that has it).
pub fn attribute(field: crate::store::Field) -> &'static str {
    use crate::store::Field as F;
    match field {
        F::AccountId => "account_id",
        F::AddressFamily => "address_family",
        F::DatabaseRole => "database_role",
        F::DelegatedAdminAccount => "delegated_admin_account_id",
        F::Locale => "locale",
        F::ParentUnit => "parent_id",
        F::SharePrincipals => "principals",
        F::PubliclyAdvertisable => "publicly_advertisable",
        F::SharedPools => "resource_arns",
        F::SourcePool => "source_ipam_pool_id",
        F::SourceResource => "source_resource",
    }
}

/// An engine fact as Terraform words it, on the attribute the user must change.
pub fn engine(e: EngineError, doing: &str, blame: &Blame) -> Failure {
    use EngineError as E;
    let (path, detail) = match &e {
        E::Cidr(_) => (blame.cidr, e.to_string()),
        E::FamilyMismatch { family, .. } => {
            (blame.cidr, format!("{e}: use an {family} block, or a pool of that family."))
        }
        E::OutsidePool { .. } => (
            blame.cidr,
            format!("{e}: use a block inside one of those, or leave cidr unset to be given the next free block."),
        ),
        E::InUse { .. } => (blame.cidr, format!("{e}: choose another block.")),
        E::Overlap { next_free: Some(_), .. } => (
            blame.cidr,
            format!("{e}: use it, or leave cidr unset to be given the next free block."),
        ),
        E::Overlap { .. } => (blame.cidr, e.to_string()),
        E::HoldsAllocations { .. } => (
            "",
            format!("{e}. Release them (or destroy the child pools using them) first, or destroy the pool with cascade = true to release everything under it."),
        ),
        E::NetmaskOutOfRange { family, .. } => (
            blame.netmask,
            format!("{e} (the pool holds {family} addresses, whose longest prefix is /{}).", family.bits()),
        ),
        E::TooSmall { cidr, .. } => (
            blame.netmask,
            format!("{e}: ask for a /{} or a longer prefix.", cidr.prefix_len()),
        ),
        E::LargerThanAllowed { len, min } => (
            blame.netmask,
            format!("a /{len} is larger than the pool allows: its allocation_min_netmask_length is {min}, so the largest block is a /{min}; ask for a /{min} or smaller."),
        ),
        E::SmallerThanAllowed { len, max } => (
            blame.netmask,
            format!("a /{len} is smaller than the pool allows: its allocation_max_netmask_length is {max}, so the smallest block is a /{max}; ask for a /{max} or larger."),
        ),
        E::NoNetmask => (
            blame.netmask,
            "the pool has no allocation_default_netmask_length: set netmask_length or cidr.".into(),
        ),
        E::Exhausted {
            len,
            pending,
            fit,
            largest_free,
            max_len,
            ..
        } => (blame.netmask, format!("{e}. {}", exhausted_advice(*len, *pending, *fit, largest_free, *max_len))),
        E::MissingTags { missing, .. } => {
            let add: Vec<String> = missing
                .iter()
                .map(|(k, v)| format!("{k} = \"{v}\""))
                .collect();
            (
                blame.tags,
                format!("{e}. Add tags = {{ {} }}.", add.join(", ")),
            )
        }
        E::MinAboveMax { min, max } => (
            "allocation_min_netmask_length",
            format!("allocation_min_netmask_length ({min}) is greater than allocation_max_netmask_length ({max}): the minimum netmask length is the LARGEST block an allocation may be (/{min} holds more addresses than /{max}); did you mean min = {max}, max = {min}?"),
        ),
        E::DefaultOutsideRange { default, min, max } => (
            "allocation_default_netmask_length",
            format!("allocation_default_netmask_length ({default}) must lie between allocation_min_netmask_length ({min}) and allocation_max_netmask_length ({max}); set it within that range."),
        ),
    };
    Failure::at(path, doing, detail)
}

/// What to do about an exhausted pool, from what is free and what its rules allow: a smaller
/// block only when one is free and the rules allow its size.
fn exhausted_advice(
    len: u8,
    pending: usize,
    fit: usize,
    largest_free: &[crate::engine::Cidr],
    max_len: Option<u8>,
) -> String {
    const MORE: &str =
        "provision another CIDR to the pool (an ipam_pool_cidr), or release allocations from it";
    let fewer = if pending > 0 {
        format!("plan at most {fit} new allocations from this pool, or ")
    } else {
        String::new()
    };
    let Some(largest) = largest_free.first().map(|c| c.prefix_len()) else {
        return format!("The pool is full: {fewer}{MORE}.");
    };
    if largest <= len && pending > 0 {
        return format!("{}{MORE}.", capitalized(&fewer));
    }
    match max_len {
        Some(max) if largest > max => format!(
            "No smaller block helps: the pool's allocation_max_netmask_length is {max}, so its smallest block is a /{max}, and no free block is that large. {}{MORE}.",
            capitalized(&fewer)
        ),
        _ => format!(
            "Ask for a /{largest} or smaller (netmask_length = {largest}{}), {fewer}{MORE}.",
            match max_len {
                Some(max) if max > largest => format!(" to {max}"),
                _ => String::new(),
            }
        ),
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A refusal with what to do about it.
pub fn advice(refusal: &Refusal) -> String {
    match refusal {
        Refusal::NotIpamAdmin { account, .. } => format!(
            "{refusal}; run this from that account's configuration, or allocate from a pool shared with {account}."
        ),
        Refusal::NotManagement { .. } => {
            format!("{refusal}; run this from that account's configuration.")
        }
        Refusal::PoolNotShared { account, admin, .. } => format!(
            "{refusal}; ask the IPAM admin account {admin} to share the pool with {account}, one of its organizational units or the organization, or use a pool shared with it."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Cidr, Conflict};

    #[test]
    fn database_conditions_are_titled_for_what_they_are() {
        use ipam_db::Error as Db;
        for (e, title) in [
            (Db::Busy { holders: None }, "The database is busy"),
            (
                Db::Busy {
                    holders: Some("the role x (process id 1)".into()),
                },
                "The database is busy",
            ),
            (Db::ReadOnly, "The database is read-only"),
        ] {
            let f = from_store(
                StoreError::Db(e),
                "Cannot allocate from the pool",
                &ALLOCATION,
            );
            assert_eq!(f.summary, title);
            assert_eq!(f.path, None);
        }
    }

    /// The overlap error quotes another team's description: its escape sequences reach
    /// Terraform's output escaped, never raw.
    #[test]
    fn stored_text_in_a_diagnostic_is_shown_escaped() {
        let c = |s: &str| Cidr::parse(s).unwrap();
        let overlap = EngineError::Overlap {
            cidr: c("10.1.0.0/20"),
            conflict: Conflict {
                id: "ipam-pool-alloc-1".into(),
                cidr: c("10.1.0.0/20"),
                description: "\u{1b}[2J\u{1b}[31mFAKE: all good\u{9b}0m\u{202e}".into(),
            },
            next_free: Some(c("10.1.16.0/20")),
        };
        let mut diags = Diagnostics::new();
        engine(overlap, "Cannot allocate from the pool", &ALLOCATION).report(&mut diags);
        let d = &diags.0[0];
        assert!(
            !d.detail.chars().any(crate::text::is_hostile),
            "{:?}",
            d.detail
        );
        assert!(
            d.detail
                .contains("\"\\u{1b}[2J\\u{1b}[31mFAKE: all good\\u{9b}0m\\u{202e}\""),
            "{}",
            d.detail
        );
    }

    /// An exhausted pool's message says how many of the plan's allocations fit, and offers a
    /// smaller block only when one is free and the pool's rules allow it.
    #[test]
    fn an_exhausted_pool_says_what_fits_and_what_its_rules_allow() {
        let c = |s: &str| Cidr::parse(s).unwrap();
        let exhausted = |pending, fit, free: &[&str], max_len| {
            let e = EngineError::Exhausted {
                pool_id: "ipam-pool-1".into(),
                len: 26,
                pending,
                fit,
                largest_free: free.iter().map(|f| c(f)).collect(),
                max_len,
            };
            engine(e, "Cannot allocate from the pool", &ALLOCATION).detail
        };
        // Five /26s asked of a /24: four fit.
        let d = exhausted(4, 4, &["10.8.0.0/24"], None);
        assert!(
            d.starts_with("the pool ipam-pool-1 has room for 4 of the 5 new allocations from it in this plan (this /26 is one too many); the largest free blocks are: 10.8.0.0/24."),
            "{d}"
        );
        assert!(
            d.contains("Plan at most 4 new allocations from this pool"),
            "{d}"
        );
        // Full: no smaller block can help, whatever the rules.
        let d = exhausted(0, 0, &[], Some(28));
        assert!(
            d.contains("has no free /26; it has no free space left"),
            "{d}"
        );
        assert!(
            d.contains("The pool is full: provision another CIDR"),
            "{d}"
        );
        assert!(!d.contains("smaller"), "{d}");
        // A /27 is free, and the rules allow up to /28: ask for it.
        let d = exhausted(0, 0, &["10.8.0.32/27"], Some(28));
        assert!(
            d.contains("Ask for a /27 or smaller (netmask_length = 27 to 28)"),
            "{d}"
        );
        // A /27 is free, but the rules stop at /26: a smaller block is not allowed.
        let d = exhausted(0, 0, &["10.8.0.32/27"], Some(26));
        assert!(
            d.contains("No smaller block helps: the pool's allocation_max_netmask_length is 26"),
            "{d}"
        );
        assert!(!d.contains("Ask for a /27"), "{d}");
    }

    #[test]
    fn facts_are_worded_on_the_attribute_with_what_to_do() {
        let missing = EngineError::MissingTags {
            required: vec![("env".into(), "prod".into())],
            missing: vec![("env".into(), "prod".into())],
        };
        let f = engine(missing, "Cannot allocate from the pool", &ALLOCATION);
        assert_eq!(f.path, Some("tags"));
        assert!(
            f.detail.ends_with("Add tags = { env = \"prod\" }."),
            "{}",
            f.detail
        );

        let c = |s: &str| Cidr::parse(s).unwrap();
        let held = EngineError::HoldsAllocations {
            cidr: c("10.1.0.0/16"),
            allocations: vec![Conflict {
                id: "ipam-pool-alloc-1".into(),
                cidr: c("10.1.0.0/20"),
                description: "payments".into(),
            }],
        };
        let f = engine(held, "Cannot deprovision the CIDR", &WHOLE);
        for needle in [
            "ipam-pool-alloc-1",
            "10.1.0.0/20",
            "\"payments\"",
            "cascade = true",
        ] {
            assert!(f.detail.contains(needle), "{needle} in {}", f.detail);
        }

        let taken = StoreError::NameTaken {
            name: "a".into(),
            pool_id: "p".into(),
            id: "x".into(),
            cidr: c("10.0.0.0/24"),
        };
        assert_eq!(
            from_store(taken, "Cannot reserve", &ALLOCATION).path,
            Some("name")
        );
        let gone = StoreError::NotFound {
            kind: "pool",
            id: "p".into(),
        };
        assert!(from_store(gone, "Cannot delete", &WHOLE).gone);
    }
}
