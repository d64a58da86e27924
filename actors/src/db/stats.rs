//! A partner's statistics (`/stats`, SPEC §4) for today, the last 30 days and all time, with the periods' starts
//! computed in the network time zone (`network.time_zone`, Europe/Moscow by default) by `jiff` and its bundled tz
//! database.
//!
//! What counts: referred clients are the clients whose `referred_by` is the partner (link or enrolment), by
//! registration time; operations are accruals and redemptions at the partner (welcome bonuses are the network's,
//! not the partner's, even when the partner referred the client); turnover is the sum of accrual receipts; points
//! issued are accrual points, points redeemed are redemption points (reversals are not subtracted); ratings are the
//! NPS ratings of the partner's operations, by the time they were given.

use std::time::SystemTime;

use fsm::PartnerId;
use fsm::partner::stats::{PartnerStats, PeriodStats};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use tokio_postgres::GenericClient;

/// Where "today" and "the last 30 days" (today and the 29 days before it) begin, in `tz`, at `now`.
pub fn period_starts(now: Timestamp, tz: &TimeZone) -> anyhow::Result<(SystemTime, SystemTime)> {
    let today = now.to_zoned_datetime(tz.clone()).start_of_day()?;
    let month = today.checked_sub(29.days())?.start_of_day()?;
    Ok((
        SystemTime::try_from(today.timestamp())?,
        SystemTime::try_from(month.timestamp())?,
    ))
}

/// A time as the network's calendar day, `DD.MM.YYYY`.
pub fn network_day(at: SystemTime, tz: &TimeZone) -> anyhow::Result<String> {
    let ts = Timestamp::try_from(at)?;
    Ok(ts
        .to_zoned_datetime(tz.clone())
        .strftime("%d.%m.%Y")
        .to_string())
}

/// The three periods of `/stats` for `partner`, at `now` in `tz`.
pub async fn partner_stats(
    db: &impl GenericClient,
    partner: PartnerId,
    now: Timestamp,
    tz: &TimeZone,
) -> anyhow::Result<PartnerStats> {
    let (today, month) = period_starts(now, tz)?;
    // Three periods of one table per statement; the epoch stands for "all time".
    let all = SystemTime::UNIX_EPOCH;
    let mut stats = [
        PeriodStats::default(),
        PeriodStats::default(),
        PeriodStats::default(),
    ];
    for (i, from) in [today, month, all].into_iter().enumerate() {
        let s = &mut stats[i];
        let row = db
            .query_one(
                "SELECT
                    (SELECT count(*) FROM clients WHERE referred_by = $1 AND created_at >= $2),
                    count(*),
                    COALESCE(sum(receipt_kopecks) FILTER (WHERE kind = 'accrual'), 0)::bigint,
                    COALESCE(sum(points) FILTER (WHERE kind = 'accrual'), 0)::bigint,
                    COALESCE(sum(points) FILTER (WHERE kind = 'redemption'), 0)::bigint
                 FROM operations
                 WHERE partner_id = $1 AND kind IN ('accrual', 'redemption') AND created_at >= $2",
                &[&partner.0, &from],
            )
            .await?;
        s.referred = row.get(0);
        s.operations = row.get(1);
        s.turnover_kopecks = row.get(2);
        s.points_issued = row.get(3);
        s.points_redeemed = row.get(4);
        let row = db
            .query_one(
                "SELECT count(*), COALESCE(sum(rating), 0)::bigint,
                    count(*) FILTER (WHERE rating >= 9), count(*) FILTER (WHERE rating <= 6)
                 FROM nps_ratings WHERE partner_id = $1 AND created_at >= $2",
                &[&partner.0, &from],
            )
            .await?;
        s.ratings = row.get(0);
        s.rating_sum = row.get(1);
        s.promoters = row.get(2);
        s.detractors = row.get(3);
    }
    let [today, month, all] = stats;
    Ok(PartnerStats { today, month, all })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_starts_at_moscow_midnight_and_the_month_29_days_before() {
        let tz = TimeZone::get("Europe/Moscow").expect("bundled tz database");
        // 2026-11-29 21:30 UTC is 2026-11-30 00:30 in Moscow (UTC+3).
        let now: Timestamp = "2026-11-29T21:30:00Z".parse().expect("timestamp");
        let (today, month) = period_starts(now, &tz).expect("periods");
        let expected: Timestamp = "2026-11-29T21:00:00Z".parse().expect("timestamp");
        assert_eq!(Timestamp::try_from(today).expect("ts"), expected);
        let expected: Timestamp = "2026-10-31T21:00:00Z".parse().expect("timestamp");
        assert_eq!(Timestamp::try_from(month).expect("ts"), expected);
        assert_eq!(network_day(today, &tz).expect("day"), "30.11.2026");
    }
}
