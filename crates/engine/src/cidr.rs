//! CIDR blocks as the engine sees them: normalised, with integer bounds for range checks.

use ipnet::IpNet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddressFamily {
    Ipv4,
    Ipv6,
}

impl AddressFamily {
    /// Address width in bits: the largest prefix length.
    pub fn bits(self) -> u8 {
        match self {
            AddressFamily::Ipv4 => 32,
            AddressFamily::Ipv6 => 128,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AddressFamily::Ipv4 => "ipv4",
            AddressFamily::Ipv6 => "ipv6",
        }
    }

    pub fn parse(s: &str) -> Option<AddressFamily> {
        match s {
            "ipv4" => Some(AddressFamily::Ipv4),
            "ipv6" => Some(AddressFamily::Ipv6),
            _ => None,
        }
    }
}

impl fmt::Display for AddressFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a usable CIDR.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("{0:?} is not a CIDR block: write an address and a prefix length, such as 10.0.0.0/16 or 2001:db8::/56")]
    Syntax(String),
    #[error("{given} has host bits set; did you mean {normalised}?")]
    HostBits { given: String, normalised: String },
    /// A spelling some readers take for another block (a leading zero reads as octal in many
    /// tools) or that hides characters (spaces): refused, with the form to write instead.
    #[error("{given:?} is ambiguous ({why}); write {canonical}")]
    Ambiguous {
        given: String,
        why: &'static str,
        canonical: String,
    },
}

/// A CIDR block whose host bits are zero. Constructed only through validation, so every
/// `Cidr` in the engine is normalised.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr(IpNet);

impl Cidr {
    /// Parses and insists on a normalised block, naming the normalised form when it is not.
    /// Any spelling of the same block is accepted (`FD00:0:0:100::/56`); spellings that are
    /// ambiguous (`010.0.1.0/24`, ` 10.0.1.0/24`) are refused with the canonical form.
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let ambiguous = |why, canonical: String| CidrError::Ambiguous {
            given: s.to_string(),
            why,
            canonical,
        };
        let trimmed = s.trim();
        if trimmed != s {
            let c = Cidr::parse(trimmed)?;
            return Err(ambiguous("it has spaces around it", c.to_string()));
        }
        if let Some(decimal) = without_leading_zeros(s) {
            let c = Cidr::parse(&decimal)?;
            return Err(ambiguous(
                "a number with a leading zero may be read as octal",
                c.to_string(),
            ));
        }
        let net = IpNet::from_str(s).map_err(|_| CidrError::Syntax(s.to_string()))?;
        let trunc = net.trunc();
        if trunc != net {
            return Err(CidrError::HostBits {
                given: s.to_string(),
                normalised: trunc.to_string(),
            });
        }
        Ok(Cidr(net))
    }

    /// The block of `len` bits starting at `start` (host bits of `start` are cleared).
    pub fn from_start(family: AddressFamily, start: u128, len: u8) -> Cidr {
        let net = match family {
            AddressFamily::Ipv4 => {
                IpNet::new(IpAddr::V4(Ipv4Addr::from(start as u32)), len.min(32))
            }
            AddressFamily::Ipv6 => IpNet::new(IpAddr::V6(Ipv6Addr::from(start)), len.min(128)),
        };
        // The prefix length is clamped to the family above, so construction cannot fail.
        Cidr(
            net.map(|n| n.trunc())
                .unwrap_or_else(|_| IpNet::V4(Default::default())),
        )
    }

    pub fn family(&self) -> AddressFamily {
        match self.0 {
            IpNet::V4(_) => AddressFamily::Ipv4,
            IpNet::V6(_) => AddressFamily::Ipv6,
        }
    }

    pub fn prefix_len(&self) -> u8 {
        self.0.prefix_len()
    }

    /// First address as an integer.
    pub fn start(&self) -> u128 {
        match self.0 {
            IpNet::V4(n) => u32::from(n.network()) as u128,
            IpNet::V6(n) => u128::from(n.network()),
        }
    }

    /// Last address as an integer.
    pub fn end(&self) -> u128 {
        self.start() + (self.size() - 1)
    }

    /// Number of addresses, exact up to 2^128 - 1; a whole IPv6 /0 saturates at u128::MAX.
    pub fn size(&self) -> u128 {
        block_size(self.family(), self.prefix_len())
    }

    pub fn contains(&self, other: &Cidr) -> bool {
        self.family() == other.family()
            && self.start() <= other.start()
            && other.end() <= self.end()
    }

    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.family() == other.family()
            && self.start() <= other.end()
            && other.start() <= self.end()
    }

    pub fn net(&self) -> IpNet {
        self.0
    }
}

/// The text with leading zeros dropped from every IPv4 octet and from the prefix length, when
/// it has any; `None` when there is none to drop.
fn without_leading_zeros(s: &str) -> Option<String> {
    let (addr, len) = s.split_once('/')?;
    let strip = |n: &str| {
        let t = n.trim_start_matches('0');
        if t.is_empty() {
            "0".to_string()
        } else {
            t.to_string()
        }
    };
    let is_num = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    let octets: Vec<&str> = addr.split('.').collect();
    let v4 = octets.len() == 4 && octets.iter().all(|o| is_num(o));
    let padded = |n: &str| n.len() > 1 && n.starts_with('0');
    let changed = (v4 && octets.iter().any(|o| padded(o))) || (is_num(len) && padded(len));
    if !changed {
        return None;
    }
    let addr = if v4 {
        octets
            .iter()
            .map(|o| strip(o))
            .collect::<Vec<_>>()
            .join(".")
    } else {
        addr.to_string()
    };
    let len = if is_num(len) {
        strip(len)
    } else {
        len.to_string()
    };
    Some(format!("{addr}/{len}"))
}

/// Addresses in a block of prefix length `len` (saturating for an IPv6 /0).
pub fn block_size(family: AddressFamily, len: u8) -> u128 {
    let host_bits = u32::from(family.bits().saturating_sub(len));
    1u128.checked_shl(host_bits).unwrap_or(u128::MAX)
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Ord for Cidr {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.family(), self.start(), self.prefix_len()).cmp(&(
            other.family(),
            other.start(),
            other.prefix_len(),
        ))
    }
}

impl PartialOrd for Cidr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl FromStr for Cidr {
    type Err = CidrError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cidr::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_insists_on_normalised_blocks() {
        assert_eq!(
            Cidr::parse("10.1.0.0/16").unwrap().to_string(),
            "10.1.0.0/16"
        );
        let err = Cidr::parse("10.1.2.3/16").unwrap_err();
        assert_eq!(
            err.to_string(),
            "10.1.2.3/16 has host bits set; did you mean 10.1.0.0/16?"
        );
        assert!(matches!(
            Cidr::parse("10.0.0.0/33"),
            Err(CidrError::Syntax(_))
        ));
        assert!(matches!(Cidr::parse("banana"), Err(CidrError::Syntax(_))));
    }

    #[test]
    fn any_spelling_of_a_block_but_no_ambiguous_one() {
        let upper = Cidr::parse("FD00:0:0:100::/56").unwrap();
        assert_eq!(upper.to_string(), "fd00:0:0:100::/56");
        assert_eq!(
            Cidr::parse("fd00:0000::/56").unwrap().to_string(),
            "fd00::/56"
        );
        let e = Cidr::parse("010.0.1.0/24").unwrap_err().to_string();
        assert!(e.contains("write 10.0.1.0/24"), "{e}");
        let e = Cidr::parse(" 10.0.1.0/24").unwrap_err().to_string();
        assert!(
            e.contains("spaces") && e.contains("write 10.0.1.0/24"),
            "{e}"
        );
        let e = Cidr::parse("10.0.1.0/024").unwrap_err().to_string();
        assert!(e.contains("write 10.0.1.0/24"), "{e}");
        // An ambiguous spelling that is also wrong says what is wrong with the block.
        assert!(matches!(
            Cidr::parse("010.0.1.5/24"),
            Err(CidrError::HostBits { .. })
        ));
        assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().to_string(), "0.0.0.0/0");
    }

    #[test]
    fn bounds_and_relations() {
        let a = Cidr::parse("10.0.0.0/8").unwrap();
        let b = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(a.contains(&b) && !b.contains(&a) && a.overlaps(&b));
        assert_eq!(b.size(), 65536);
        assert_eq!(Cidr::parse("::/0").unwrap().size(), u128::MAX);
        assert_eq!(
            Cidr::from_start(AddressFamily::Ipv4, b.start(), 20).to_string(),
            "10.1.0.0/20"
        );
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(!v6.overlaps(&a));
    }
}
