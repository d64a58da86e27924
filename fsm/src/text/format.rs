//! Numbers, money and rates written the way each language writes them (CLDR): ru «12 345», «1 999,99 ₽», «5 %»;
//! en "12,345", "1,999.99 ₽", "5%".
//!
//! Grouping is a few lines, so it lives here rather than in a crate: the candidates (`num-format`, ICU4X) bring a
//! locale database we would use two entries of.

use crate::chat::Lang;
use crate::money::{CashbackRate, Kopecks};

/// CLDR ru groups thousands with a no-break space (U+00A0), so «12 345» never wraps between its groups.
const NBSP: char = '\u{a0}';

fn group_separator(lang: Lang) -> char {
    match lang {
        Lang::Ru => NBSP,
        Lang::En => ',',
    }
}

fn decimal_separator(lang: Lang) -> char {
    match lang {
        Lang::Ru => ',',
        Lang::En => '.',
    }
}

/// A whole number with thousands grouped: ru `12 345` (U+00A0 between groups), en `12,345`; negatives keep their `-`.
pub fn integer(lang: Lang, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(group_separator(lang));
        }
        out.push(d);
    }
    out
}

/// An amount of money in roubles with kopecks and the sign: ru `1 999,99 ₽`, en `1,999.99 ₽` (a no-break space
/// before `₽` in both, so the sign never wraps onto its own line).
pub fn money(lang: Lang, amount: Kopecks) -> String {
    money_kopecks(lang, amount.get())
}

/// Any number of kopecks as [`money`] writes it, zero and negatives too (a total, a net position): `0,00 ₽`,
/// `-12,50 ₽`.
pub fn money_kopecks(lang: Lang, k: i64) -> String {
    let sign = if k < 0 { "-" } else { "" };
    let (roubles, kopecks) = (k.unsigned_abs() / 100, k.unsigned_abs() % 100);
    let roubles = integer(lang, i64::try_from(roubles).unwrap_or(i64::MAX));
    format!(
        "{sign}{roubles}{}{kopecks:02}{NBSP}₽",
        decimal_separator(lang)
    )
}

/// A cashback rate: ru `5 %`, `7,5 %` (CLDR ru puts a no-break space before `%`); en `5%`, `7.5%`.
pub fn rate(lang: Lang, rate: CashbackRate) -> String {
    let bp = rate.basis_points();
    let (whole, frac) = (bp / 100, bp % 100);
    let number = if frac == 0 {
        whole.to_string()
    } else if frac % 10 == 0 {
        format!("{whole}{}{}", decimal_separator(lang), frac / 10)
    } else {
        format!("{whole}{}{frac:02}", decimal_separator(lang))
    };
    match lang {
        Lang::Ru => format!("{number}{NBSP}%"),
        Lang::En => format!("{number}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rub(kopecks: i64) -> Kopecks {
        Kopecks::new(kopecks).expect("positive")
    }

    #[test]
    fn integers_are_grouped_by_thousands_per_language() {
        let table = [
            (0, "0", "0"),
            (1, "1", "1"),
            (999, "999", "999"),
            (1000, "1\u{a0}000", "1,000"),
            (12_345, "12\u{a0}345", "12,345"),
            (1_000_000, "1\u{a0}000\u{a0}000", "1,000,000"),
            (-1234, "-1\u{a0}234", "-1,234"),
        ];
        for (n, ru, en) in table {
            assert_eq!(integer(Lang::Ru, n), ru, "{n}");
            assert_eq!(integer(Lang::En, n), en, "{n}");
        }
        assert_eq!(integer(Lang::En, i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn money_shows_roubles_kopecks_and_the_sign_per_language() {
        let table = [
            (199_999, "1\u{a0}999,99\u{a0}₽", "1,999.99\u{a0}₽"),
            (
                100_000_000,
                "1\u{a0}000\u{a0}000,00\u{a0}₽",
                "1,000,000.00\u{a0}₽",
            ),
            (5, "0,05\u{a0}₽", "0.05\u{a0}₽"),
            (100_000, "1\u{a0}000,00\u{a0}₽", "1,000.00\u{a0}₽"),
        ];
        for (k, ru, en) in table {
            assert_eq!(money(Lang::Ru, rub(k)), ru, "{k}");
            assert_eq!(money(Lang::En, rub(k)), en, "{k}");
        }
    }

    #[test]
    fn rates_show_as_percentages_per_language() {
        let rate_of = |bp| CashbackRate::new(bp, 1, 10_000).expect("in bounds");
        let table = [
            (500, "5\u{a0}%", "5%"),
            (750, "7,5\u{a0}%", "7.5%"),
            (1025, "10,25\u{a0}%", "10.25%"),
        ];
        for (bp, ru, en) in table {
            assert_eq!(rate(Lang::Ru, rate_of(bp)), ru, "{bp}");
            assert_eq!(rate(Lang::En, rate_of(bp)), en, "{bp}");
        }
    }
}
