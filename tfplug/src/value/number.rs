//! Exact decimal numbers.
//!
//! Terraform numbers are arbitrary-precision; an IPv6 pool's address count (up to 2^128) must
//! survive a round trip through the plan unchanged, so no f64 anywhere on the way.

use num_bigint::{BigInt, Sign};
use num_traits::{One, ToPrimitive, Zero};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// `mantissa / 10^scale`, normalised so that equal numbers have equal representations:
/// no trailing decimal zeros in the mantissa while `scale > 0`, and zero has scale 0.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Number {
    mantissa: BigInt,
    scale: u32,
}

/// A number literal that is not a decimal (or is NaN/infinite).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a number")]
pub struct ParseNumberError(pub String);

fn pow10(n: u32) -> BigInt {
    num_traits::pow(BigInt::from(10u8), n as usize)
}

impl Number {
    fn normalised(mut mantissa: BigInt, mut scale: u32) -> Number {
        if mantissa.is_zero() {
            return Number { mantissa, scale: 0 };
        }
        let ten = BigInt::from(10u8);
        while scale > 0 && (&mantissa % &ten).is_zero() {
            mantissa /= &ten;
            scale -= 1;
        }
        Number { mantissa, scale }
    }

    /// Converts a finite f64 exactly as its shortest decimal representation; None for NaN/inf.
    pub fn from_f64(f: f64) -> Option<Number> {
        if !f.is_finite() {
            return None;
        }
        // Rust prints f64 without an exponent, as the shortest string that reads back the same.
        format!("{f}").parse().ok()
    }

    pub fn is_integer(&self) -> bool {
        self.scale == 0
    }

    pub fn to_i64(&self) -> Option<i64> {
        if self.is_integer() {
            self.mantissa.to_i64()
        } else {
            None
        }
    }

    pub fn to_u64(&self) -> Option<u64> {
        if self.is_integer() {
            self.mantissa.to_u64()
        } else {
            None
        }
    }

    pub fn to_u128(&self) -> Option<u128> {
        if self.is_integer() {
            self.mantissa.to_u128()
        } else {
            None
        }
    }

    /// The nearest f64 (lossy for large or very precise numbers).
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The f64 equal to this number, when there is one.
    pub fn to_f64_exact(&self) -> Option<f64> {
        let f = self.to_f64();
        (Number::from_f64(f).as_ref() == Some(self)).then_some(f)
    }
}

impl FromStr for Number {
    type Err = ParseNumberError;

    /// Accepts `-12`, `3.25`, `1e3`, `1.5E-2`, `+7`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseNumberError(s.to_string());
        let t = s.trim();
        let (neg, t) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let (body, exp) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i64>().map_err(|_| err())?),
            None => (t, 0),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(err());
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let digits = format!("{int}{frac}");
        let mut mantissa = BigInt::parse_bytes(digits.as_bytes(), 10).unwrap_or_default();
        let mut scale = frac.len() as i64 - exp;
        // Keep exponents sane: a literal like 1e999999999 is an error, not a memory bomb.
        if !(-4096..=4096).contains(&scale) {
            return Err(err());
        }
        if scale < 0 {
            mantissa *= pow10((-scale) as u32);
            scale = 0;
        }
        if neg {
            mantissa = -mantissa;
        }
        Ok(Number::normalised(mantissa, scale as u32))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.magnitude().to_str_radix(10);
        let sign = if self.mantissa.sign() == Sign::Minus {
            "-"
        } else {
            ""
        };
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        if digits.len() > scale {
            let (i, d) = digits.split_at(digits.len() - scale);
            write!(f, "{sign}{i}.{d}")
        } else {
            write!(f, "{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
        }
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = match self.scale.cmp(&other.scale) {
            Ordering::Equal => return self.mantissa.cmp(&other.mantissa),
            Ordering::Less => (
                &self.mantissa * pow10(other.scale - self.scale),
                other.mantissa.clone(),
            ),
            Ordering::Greater => (
                self.mantissa.clone(),
                &other.mantissa * pow10(self.scale - other.scale),
            ),
        };
        a.cmp(&b)
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(v: $t) -> Number {
                Number { mantissa: BigInt::from(v), scale: 0 }
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, i128, u8, u16, u32, u64, u128, usize, isize);

impl Default for Number {
    fn default() -> Self {
        Number {
            mantissa: BigInt::zero(),
            scale: 0,
        }
    }
}

impl Number {
    pub fn one() -> Number {
        Number {
            mantissa: BigInt::one(),
            scale: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_canonically() {
        for (input, want) in [
            ("10", "10"),
            ("10.0", "10"),
            ("0.50", "0.5"),
            ("-0.05", "-0.05"),
            ("1e3", "1000"),
            ("1.5E-2", "0.015"),
            (
                "340282366920938463463374607431768211456",
                "340282366920938463463374607431768211456",
            ),
            ("-0", "0"),
        ] {
            assert_eq!(
                input.parse::<Number>().unwrap().to_string(),
                want,
                "{input}"
            );
        }
        for bad in ["", ".", "1..2", "abc", "1e", "--1", "1e99999"] {
            assert!(bad.parse::<Number>().is_err(), "{bad}");
        }
    }

    #[test]
    fn compares_by_value() {
        let n = |s: &str| s.parse::<Number>().unwrap();
        assert_eq!(n("1"), n("1.000"));
        assert!(n("0.5") < n("1"));
        assert!(n("-2") < n("-1.5"));
        assert_eq!(Number::from(u128::MAX).to_u128(), Some(u128::MAX));
        assert_eq!(n("2.5").to_i64(), None);
        assert_eq!(Number::from_f64(0.1).unwrap().to_string(), "0.1");
        assert_eq!(n("0.1").to_f64_exact(), Some(0.1));
    }
}
