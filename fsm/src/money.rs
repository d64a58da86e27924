//! Money and points, exactly as SPEC §2 says: integers only, kopecks for money, whole points, basis points for rates.
//!
//! Every value is built through a constructor that checks its invariant, so a `Points` is always ≥ 1 and a `Kopecks`
//! receipt is always within (0, max]. Arithmetic is checked; nothing here can overflow silently.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of money in kopecks (1/100 rouble). Always positive when it is a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Kopecks(i64);

impl Kopecks {
    /// The default upper bound of one receipt: 1,000,000.00 roubles.
    pub const DEFAULT_RECEIPT_MAX: Kopecks = Kopecks(100_000_000);

    /// A positive amount; zero and negatives are not money anyone can pay.
    pub fn new(kopecks: i64) -> Option<Kopecks> {
        (kopecks > 0).then_some(Kopecks(kopecks))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Kopecks {
    /// `1999.99`: roubles with two decimals, the form users type back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// A whole, positive number of points moved by one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Points(i64);

/// Why a number of points was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    #[error("enter a whole number of points")]
    NotANumber,
    #[error("points must be at least 1")]
    NotPositive,
    #[error("at most {max} points at once")]
    TooLarge { max: i64 },
}

impl Points {
    /// The largest number of points one operation may move; far above any real receipt, far below overflow.
    pub const MAX: i64 = 1_000_000_000;

    pub fn new(points: i64) -> Result<Points, PointsError> {
        if points < 1 {
            Err(PointsError::NotPositive)
        } else if points > Self::MAX {
            Err(PointsError::TooLarge { max: Self::MAX })
        } else {
            Ok(Points(points))
        }
    }

    /// Parses what a partner types for a redemption: digits only (spaces between groups allowed).
    pub fn parse(input: &str) -> Result<Points, PointsError> {
        let digits: String = input
            .trim()
            .chars()
            .filter(|c| !is_group_space(*c))
            .collect();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(
                if digits.starts_with('-') && digits[1..].bytes().all(|b| b.is_ascii_digit()) {
                    PointsError::NotPositive
                } else {
                    PointsError::NotANumber
                },
            );
        }
        let value: i64 = digits
            .parse()
            .map_err(|_| PointsError::TooLarge { max: Self::MAX })?;
        Points::new(value)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Points {
    type Error = PointsError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Points::new(value)
    }
}

impl From<Points> for i64 {
    fn from(p: Points) -> i64 {
        p.0
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A cashback rate in basis points: 500 = 5 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CashbackRate(u32);

impl CashbackRate {
    /// The network default, 5 %.
    pub const DEFAULT: CashbackRate = CashbackRate(500);

    /// A rate within the network's bounds (SPEC §2: set by an admin, default 1 %..30 %).
    pub fn new(bp: u32, min_bp: u32, max_bp: u32) -> Option<CashbackRate> {
        (bp >= min_bp && bp <= max_bp && bp > 0 && bp <= 10_000).then_some(CashbackRate(bp))
    }

    /// A rate read back from the database, which holds it under a CHECK of 1..=10000.
    pub fn from_stored(bp: i32) -> Option<CashbackRate> {
        u32::try_from(bp)
            .ok()
            .and_then(|bp| CashbackRate::new(bp, 1, 10_000))
    }

    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// A rate typed in percent ("7.5", "7,5 %", "12"), at most two decimals, within `min_bp..=max_bp`; `None` for
    /// anything else. Hundredths of a percent are basis points, so the receipt parser (SPEC §2 number forms) reads it.
    pub fn parse_percent(input: &str, min_bp: u32, max_bp: u32) -> Option<CashbackRate> {
        let number = input.trim().trim_end_matches('%');
        let hundredths = parse_amount(number, Kopecks(10_000)).ok()?;
        CashbackRate::new(u32::try_from(hundredths.0).ok()?, min_bp, max_bp)
    }
}

impl fmt::Display for CashbackRate {
    /// `5 %` or `7.5 %`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        if frac == 0 {
            write!(f, "{whole} %")
        } else if frac % 10 == 0 {
            write!(f, "{whole}.{} %", frac / 10)
        } else {
            write!(f, "{whole}.{frac:02} %")
        }
    }
}

/// Points earned on a receipt: `floor(kopecks * bp / 1_000_000)`; `None` when that is zero (a zero-point accrual is
/// refused with a message, SPEC §2).
pub fn accrual_points(amount: Kopecks, rate: CashbackRate) -> Option<Points> {
    let points = i128::from(amount.0) * i128::from(rate.0) / 1_000_000;
    i64::try_from(points).ok().and_then(|p| Points::new(p).ok())
}

/// Why a receipt amount was refused; each variant is something the user can fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("the amount is empty")]
    Empty,
    #[error("the amount is not a number like 1999.99")]
    NotANumber,
    #[error("the amount must be positive")]
    Negative,
    #[error("the amount must be more than zero")]
    Zero,
    #[error("at most two digits after the decimal point")]
    TooManyDecimals,
    #[error("the amount is above the maximum of {max}")]
    TooLarge { max: Kopecks },
}

fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

/// Parses a receipt amount as SPEC §2 says: digits with an optional `.` or `,` and at most two decimals
/// ("1999.99", "1 999,99"). Spaces may group the thousands; exponents, signs, a second separator and more than two
/// decimals are refused, as is anything above `max`.
pub fn parse_amount(input: &str, max: Kopecks) -> Result<Kopecks, AmountError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(AmountError::Empty);
    }
    if trimmed.starts_with('-') || trimmed.starts_with('−') {
        return Err(AmountError::Negative);
    }
    let (int_part, frac_part) = match trimmed.find(['.', ',']) {
        Some(i) => (&trimmed[..i], Some(&trimmed[i + 1..])),
        None => (trimmed, None),
    };
    let int_digits = parse_grouped_digits(int_part).ok_or(AmountError::NotANumber)?;
    let frac_kopecks = match frac_part {
        None => 0,
        Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
            // "1,999.99" or "12." or "1.5e3": a second separator or stray characters.
            return Err(AmountError::NotANumber);
        }
        Some(f) if f.len() > 2 => return Err(AmountError::TooManyDecimals),
        Some(f) if f.len() == 1 => i64::from(f.as_bytes()[0] - b'0') * 10,
        Some(f) => i64::from(f.as_bytes()[0] - b'0') * 10 + i64::from(f.as_bytes()[1] - b'0'),
    };
    let too_large = AmountError::TooLarge { max };
    let roubles: i64 = int_digits.parse().map_err(|_| too_large.clone())?;
    let kopecks = roubles
        .checked_mul(100)
        .and_then(|k| k.checked_add(frac_kopecks))
        .ok_or(too_large.clone())?;
    if kopecks == 0 {
        return Err(AmountError::Zero);
    }
    if kopecks > max.0 {
        return Err(too_large);
    }
    Ok(Kopecks(kopecks))
}

/// "1 999" -> "1999"; groups after the first must be exactly three digits, so "1 99" is not a number.
fn parse_grouped_digits(s: &str) -> Option<String> {
    let groups: Vec<&str> = s.split(is_group_space).collect();
    let all_digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    if !groups.iter().all(|g| all_digits(g)) {
        return None;
    }
    if groups.len() > 1 && (groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3)) {
        return None;
    }
    Some(groups.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(s: &str) -> Result<Kopecks, AmountError> {
        parse_amount(s, Kopecks::DEFAULT_RECEIPT_MAX)
    }

    #[test]
    fn receipt_amounts_give_the_points_the_spec_lists() {
        let table = [
            ("1000.00", Some(50)),
            ("999.00", Some(49)),
            ("1999.99", Some(99)),
            ("19.99", None),
        ];
        for (input, points) in table {
            let k = amount(input).unwrap();
            assert_eq!(
                accrual_points(k, CashbackRate::DEFAULT).map(Points::get),
                points,
                "{input}"
            );
        }
    }

    #[test]
    fn amounts_in_the_forms_people_type_are_accepted() {
        assert_eq!(amount("1 999,99"), Ok(Kopecks(199_999)));
        assert_eq!(amount("1\u{a0}999.9"), Ok(Kopecks(199_990)));
        assert_eq!(amount(" 5 "), Ok(Kopecks(500)));
        assert_eq!(amount("1000000.00"), Ok(Kopecks(100_000_000)));
    }

    #[test]
    fn malformed_amounts_are_refused_with_the_reason() {
        assert_eq!(amount(""), Err(AmountError::Empty));
        assert_eq!(amount("1e3"), Err(AmountError::NotANumber));
        assert_eq!(amount("-5"), Err(AmountError::Negative));
        assert_eq!(amount("1,999.999"), Err(AmountError::NotANumber));
        assert_eq!(amount("19.999"), Err(AmountError::TooManyDecimals));
        assert_eq!(amount("0,00"), Err(AmountError::Zero));
        assert_eq!(amount("1 99"), Err(AmountError::NotANumber));
        assert_eq!(amount("12."), Err(AmountError::NotANumber));
        assert_eq!(amount("NaN"), Err(AmountError::NotANumber));
        assert!(matches!(
            amount("1000000.01"),
            Err(AmountError::TooLarge { .. })
        ));
        assert!(matches!(
            amount("99999999999999999999"),
            Err(AmountError::TooLarge { .. })
        ));
    }

    #[test]
    fn points_parse_whole_positive_numbers_only() {
        assert_eq!(Points::parse("150").map(Points::get), Ok(150));
        assert_eq!(Points::parse("1 500").map(Points::get), Ok(1500));
        assert_eq!(Points::parse("0"), Err(PointsError::NotPositive));
        assert_eq!(Points::parse("-3"), Err(PointsError::NotPositive));
        assert_eq!(Points::parse("0.5"), Err(PointsError::NotANumber));
        assert_eq!(Points::parse("abc"), Err(PointsError::NotANumber));
    }

    #[test]
    fn rates_print_as_percentages() {
        assert_eq!(CashbackRate::DEFAULT.to_string(), "5 %");
        let pct = |s| CashbackRate::parse_percent(s, 100, 3_000).map(CashbackRate::basis_points);
        assert_eq!(pct("7.5"), Some(750));
        assert_eq!(pct("7,25 %"), Some(725));
        assert_eq!(pct("30"), Some(3_000));
        for bad in ["0.99", "30.01", "-5", "5e1", "7.555", "", "%", "abc"] {
            assert_eq!(pct(bad), None, "{bad}");
        }
        assert_eq!(
            CashbackRate::new(750, 100, 3000).unwrap().to_string(),
            "7.5 %"
        );
        assert_eq!(CashbackRate::new(3001, 100, 3000), None);
    }
}
