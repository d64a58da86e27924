//! Calendar dates in the network's time zone (configuration `network.time_zone`, default Europe/Moscow), with the
//! IANA database bundled into the binary by `jiff` (feature `tzdb-bundle-always`), so a machine without
//! `/usr/share/zoneinfo` (a slim container) reads Moscow time the same way.
//!
//! Promotions run from their start to their end date inclusive in this zone, and "today" for statistics is the
//! network's today, not the server's.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The zone used when the configuration names none: the network is in Russia (SPEC §1).
pub const DEFAULT_TIME_ZONE: &str = "Europe/Moscow";

/// The time zone called `name` (IANA, e.g. `Europe/Moscow`), or why not.
pub fn time_zone(name: &str) -> Result<TimeZone, jiff::Error> {
    TimeZone::get(name)
}

/// The calendar date at instant `at` in `tz`.
pub fn date_at(tz: &TimeZone, at: Timestamp) -> Date {
    at.to_zoned_datetime(tz.clone()).date()
}

/// Today's date in the network's time zone `tz`, by this machine's clock.
pub fn network_today(tz: &TimeZone) -> Date {
    date_at(tz, Timestamp::now())
}

/// A date as people in Russia write it, `DD.MM.YYYY` (`05.03.2027`; one-digit day and month are accepted too:
/// `5.3.2027`). `None` for anything else, including dates that do not exist (`31.02.2027`).
pub fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.trim().split('.');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let number = |s: &str, max_len: usize| -> Option<i16> {
        let ok = !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| s.parse().ok()).flatten()
    };
    let (day, month) = (number(d, 2)?, number(m, 2)?);
    if y.len() != 4 {
        return None;
    }
    let year = number(y, 4)?;
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// `DD.MM.YYYY`, the form [`parse_date`] reads.
pub fn format_date(date: Date) -> String {
    format!("{:02}.{:02}.{:04}", date.day(), date.month(), date.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_day_first_and_impossible_ones_refused() {
        let d = |y, m, d| Date::new(y, m, d).expect("valid");
        assert_eq!(parse_date("05.03.2027"), Some(d(2027, 3, 5)));
        assert_eq!(parse_date(" 5.3.2027 "), Some(d(2027, 3, 5)));
        assert_eq!(parse_date("29.02.2028"), Some(d(2028, 2, 29)));
        for bad in [
            "31.02.2027",
            "29.02.2027",
            "2027-03-05",
            "05.03.27",
            "05.03.2027.",
            "0x.03.2027",
            "",
            "32.01.2027",
            "+5.03.2027",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(format_date(d(2027, 3, 5)), "05.03.2027");
    }

    #[test]
    fn the_networks_day_changes_at_moscow_midnight_not_utc() {
        let moscow = time_zone(DEFAULT_TIME_ZONE).expect("bundled tzdb");
        // 20:30 UTC is 23:30 in Moscow (UTC+3): still the 5th; 21:30 UTC is 00:30 on the 6th.
        let before: Timestamp = "2027-03-05T20:30:00Z".parse().expect("timestamp");
        let after: Timestamp = "2027-03-05T21:30:00Z".parse().expect("timestamp");
        assert_eq!(
            date_at(&moscow, before),
            Date::new(2027, 3, 5).expect("date")
        );
        assert_eq!(
            date_at(&moscow, after),
            Date::new(2027, 3, 6).expect("date")
        );
        assert!(time_zone("Mars/Olympus").is_err());
    }
}
