//! A pool's guardrails: which block sizes it hands out and which tags allocations must carry.

use super::cidr::{AddressFamily, Cidr};
use super::error::Error;
use std::collections::BTreeMap;

/// Netmask rules as validated: min <= default <= max, all within the family's range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolRules {
    pub min_len: Option<u8>,
    pub max_len: Option<u8>,
    pub default_len: Option<u8>,
    pub required_tags: BTreeMap<String, String>,
}

/// Checks a netmask length from user input against the family's range.
pub fn netmask(len: i64, family: AddressFamily) -> Result<u8, Error> {
    u8::try_from(len)
        .ok()
        .filter(|l| *l <= family.bits())
        .ok_or(Error::NetmaskOutOfRange { len, family })
}

impl PoolRules {
    /// Builds validated rules. Each length is checked against the family first.
    pub fn new(
        family: AddressFamily,
        min: Option<i64>,
        max: Option<i64>,
        default: Option<i64>,
        required_tags: BTreeMap<String, String>,
    ) -> Result<PoolRules, Error> {
        let min = min.map(|l| netmask(l, family)).transpose()?;
        let max = max.map(|l| netmask(l, family)).transpose()?;
        let default = default.map(|l| netmask(l, family)).transpose()?;
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                return Err(Error::MinAboveMax { min, max });
            }
        }
        if let Some(d) = default {
            let lo = min.unwrap_or(0);
            let hi = max.unwrap_or(family.bits());
            if d < lo || d > hi {
                return Err(Error::DefaultOutsideRange {
                    default: d,
                    min: lo,
                    max: hi,
                });
            }
        }
        Ok(PoolRules {
            min_len: min,
            max_len: max,
            default_len: default,
            required_tags,
        })
    }

    /// The prefix length a request gets: the one asked for, else the pool's default.
    pub fn resolve_len(&self, asked: Option<u8>) -> Result<u8, Error> {
        let len = asked.or(self.default_len).ok_or(Error::NoNetmask)?;
        self.check_len(len)?;
        Ok(len)
    }

    pub fn check_len(&self, len: u8) -> Result<(), Error> {
        if let Some(min) = self.min_len {
            if len < min {
                return Err(Error::LargerThanAllowed { len, min });
            }
        }
        if let Some(max) = self.max_len {
            if len > max {
                return Err(Error::SmallerThanAllowed { len, max });
            }
        }
        Ok(())
    }

    pub fn check_tags(&self, tags: &BTreeMap<String, String>) -> Result<(), Error> {
        let missing: Vec<(String, String)> = self
            .required_tags
            .iter()
            .filter(|(k, v)| tags.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::MissingTags {
                required: self
                    .required_tags
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                missing,
            })
        }
    }
}

/// Checks that `cidr` is of the pool's family and lies inside one of its CIDRs.
pub fn check_inside(
    cidr: &Cidr,
    family: AddressFamily,
    pool_id: &str,
    pool_cidrs: &[Cidr],
) -> Result<(), Error> {
    if cidr.family() != family {
        return Err(Error::FamilyMismatch {
            cidr: *cidr,
            family,
        });
    }
    if pool_cidrs.iter().any(|p| p.contains(cidr)) {
        Ok(())
    } else {
        Err(Error::OutsidePool {
            cidr: *cidr,
            pool_id: pool_id.to_string(),
            pool_cidrs: pool_cidrs.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swapped_min_max_says_which_is_which() {
        let e = PoolRules::new(
            AddressFamily::Ipv4,
            Some(24),
            Some(16),
            None,
            BTreeMap::new(),
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("did you mean min = 16, max = 24"), "{msg}");
        assert!(PoolRules::new(
            AddressFamily::Ipv4,
            Some(16),
            Some(24),
            Some(28),
            BTreeMap::new()
        )
        .is_err());
        assert!(
            PoolRules::new(AddressFamily::Ipv4, Some(33), None, None, BTreeMap::new()).is_err()
        );
        let r = PoolRules::new(
            AddressFamily::Ipv6,
            Some(40),
            Some(64),
            Some(56),
            BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(r.resolve_len(None).unwrap(), 56);
        assert!(matches!(
            r.resolve_len(Some(32)),
            Err(Error::LargerThanAllowed { .. })
        ));
    }
}
