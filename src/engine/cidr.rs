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
}

/// A CIDR block whose host bits are zero. Constructed only through validation, so every
/// `Cidr` in the engine is normalised.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr(IpNet);

impl Cidr {
    /// Parses and insists on a normalised block, naming the normalised form when it is not.
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let net = IpNet::from_str(s.trim()).map_err(|_| CidrError::Syntax(s.to_string()))?;
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
