//! The network's figures as the admins' web dashboard charts them (SPEC §8): turnover, operations and new clients
//! per day of the network's calendar, the NPS distribution, the top partners by turnover, and the settlement
//! report per partner. Read-only.
//!
//! What counts, as in a partner's `/stats` (`stats.rs`): operations are accruals and redemptions (welcome bonuses
//! and reversals are the network's corrections, not business); turnover is the sum of accrual receipts in
//! kopecks; a new client is a client row created that day that was not retired into another by a claim
//! (`merged_into`, migration 0005), so a claim does not count one person twice.

use std::time::SystemTime;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::Serialize;
use tokio_postgres::GenericClient;

/// One day of the network's calendar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DayFigures {
    /// `YYYY-MM-DD` in the network time zone.
    pub date: String,
    /// Sum of the day's accrual receipts, kopecks.
    pub turnover_kopecks: i64,
    /// Accruals and redemptions booked that day.
    pub operations: i64,
    /// Clients registered that day.
    pub new_clients: i64,
}

/// The NPS ratings of all time: a count per score 0..=10 and the three groups of the Net Promoter Score.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NpsDistribution {
    /// `counts[score]`: how many ratings gave `score`.
    pub counts: [i64; 11],
    /// Scores 9 and 10.
    pub promoters: i64,
    /// Scores 7 and 8.
    pub passives: i64,
    /// Scores 0 to 6.
    pub detractors: i64,
    pub total: i64,
    /// `round(100 × (promoters − detractors) / total)`, −100..=100; None without ratings.
    pub score: Option<i64>,
}

/// A partner among the top by turnover over the charted days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopPartner {
    pub partner: i64,
    pub company: String,
    pub turnover_kopecks: i64,
    pub operations: i64,
}

/// A partner's position in the settlement report: what the ledger's accounts hold, reversals included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Settlement {
    pub partner: i64,
    pub company: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Points the partner issued as cashback, less reversed accruals (minus the balance of its `partner_issued`
    /// account).
    pub issued: i64,
    /// Points clients spent at the partner, less reversed redemptions (its `partner_redeemed` account's balance).
    pub redeemed: i64,
    /// `issued − redeemed`: positive when the partner gave out more points than it took back.
    pub net: i64,
}

/// The settlement report: every partner, by company name, and the totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SettlementReport {
    pub partners: Vec<Settlement>,
    pub issued: i64,
    pub redeemed: i64,
    pub net: i64,
}

/// The last `days` days of the network's calendar up to today (in `tz`, at `now`), oldest first; a day without
/// activity is there with zeros.
pub async fn daily(
    db: &impl GenericClient,
    now: Timestamp,
    tz: &TimeZone,
    days: u16,
) -> anyhow::Result<Vec<DayFigures>> {
    let today = now.to_zoned_datetime(tz.clone()).start_of_day()?;
    let first = today
        .checked_sub(i64::from(days.max(1) - 1).days())?
        .start_of_day()?;
    let from = SystemTime::try_from(first.timestamp())?;
    let zone = tz.iana_name().unwrap_or("UTC");
    // Days as Postgres sees them in the same zone; jiff decides where the range starts.
    let rows = db
        .query(
            "WITH ops AS (
                 SELECT (created_at AT TIME ZONE $2)::date::text AS day,
                        COALESCE(sum(receipt_kopecks) FILTER (WHERE kind = 'accrual'), 0)::bigint AS turnover,
                        count(*) AS operations
                 FROM operations o WHERE created_at >= $1 AND kind IN ('accrual', 'redemption')
                   AND NOT EXISTS (SELECT 1 FROM operations r WHERE r.reverses_operation_id = o.id) GROUP BY 1),
             fresh AS (
                 SELECT (created_at AT TIME ZONE $2)::date::text AS day, count(*) AS clients
                 FROM clients WHERE created_at >= $1 AND merged_into IS NULL GROUP BY 1)
             SELECT COALESCE(o.day, f.day), COALESCE(o.turnover, 0), COALESCE(o.operations, 0),
                    COALESCE(f.clients, 0)
             FROM ops o FULL JOIN fresh f ON f.day = o.day",
            &[&from, &zone],
        )
        .await?;
    let mut out = Vec::with_capacity(usize::from(days));
    let mut day: Date = first.date();
    while day <= today.date() {
        out.push(DayFigures {
            date: day.to_string(),
            ..DayFigures::default()
        });
        day = day.tomorrow()?;
    }
    for row in rows {
        let date: String = row.get(0);
        if let Some(d) = out.iter_mut().find(|d| d.date == date) {
            d.turnover_kopecks = row.get(1);
            d.operations = row.get(2);
            d.new_clients = row.get(3);
        }
    }
    Ok(out)
}

/// The NPS ratings of all time.
pub async fn nps_distribution(
    db: &impl GenericClient,
) -> Result<NpsDistribution, tokio_postgres::Error> {
    let rows = db
        .query(
            "SELECT rating::bigint, count(*) FROM nps_ratings GROUP BY rating",
            &[],
        )
        .await?;
    let mut d = NpsDistribution::default();
    for row in rows {
        let (score, count): (i64, i64) = (row.get(0), row.get(1));
        if let Some(slot) = usize::try_from(score)
            .ok()
            .and_then(|s| d.counts.get_mut(s))
        {
            *slot = count;
        }
    }
    d.detractors = d.counts[..=6].iter().sum();
    d.passives = d.counts[7..=8].iter().sum();
    d.promoters = d.counts[9..].iter().sum();
    d.total = d.detractors + d.passives + d.promoters;
    // Rounded half away from zero, in integers.
    d.score = (d.total > 0).then(|| {
        let diff = 100 * (d.promoters - d.detractors);
        (2 * diff + diff.signum() * d.total) / (2 * d.total)
    });
    Ok(d)
}

/// The `limit` partners with the largest turnover since the start of the charted days (`days`, as [`daily`]).
pub async fn top_partners(
    db: &impl GenericClient,
    now: Timestamp,
    tz: &TimeZone,
    days: u16,
    limit: i64,
) -> anyhow::Result<Vec<TopPartner>> {
    let first = now
        .to_zoned_datetime(tz.clone())
        .start_of_day()?
        .checked_sub(i64::from(days.max(1) - 1).days())?
        .start_of_day()?;
    let from = SystemTime::try_from(first.timestamp())?;
    let rows = db
        .query(
            "SELECT p.id, p.company_name,
                    COALESCE(sum(o.receipt_kopecks) FILTER (WHERE o.kind = 'accrual'), 0)::bigint AS turnover,
                    count(*)
             FROM operations o JOIN partners p ON p.id = o.partner_id
             WHERE o.created_at >= $1 AND o.kind IN ('accrual', 'redemption')
               AND NOT EXISTS (SELECT 1 FROM operations r WHERE r.reverses_operation_id = o.id)
             GROUP BY p.id, p.company_name
             ORDER BY turnover DESC, p.id
             LIMIT $2",
            &[&from, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| TopPartner {
            partner: r.get(0),
            company: r.get(1),
            turnover_kopecks: r.get(2),
            operations: r.get(3),
        })
        .collect())
}

/// Every partner's settlement position from the ledger's accounts, by company name, with the totals.
pub async fn settlement(
    db: &impl GenericClient,
) -> Result<SettlementReport, tokio_postgres::Error> {
    let rows = db
        .query(
            "SELECT p.id, p.company_name, p.status,
                    COALESCE(-sum(a.balance) FILTER (WHERE a.kind = 'partner_issued'), 0)::bigint,
                    COALESCE(sum(a.balance) FILTER (WHERE a.kind = 'partner_redeemed'), 0)::bigint
             FROM partners p LEFT JOIN accounts a ON a.partner_id = p.id
             GROUP BY p.id ORDER BY p.company_name, p.id",
            &[],
        )
        .await?;
    let mut report = SettlementReport::default();
    for row in rows {
        let (issued, redeemed): (i64, i64) = (row.get(3), row.get(4));
        report.issued += issued;
        report.redeemed += redeemed;
        report.partners.push(Settlement {
            partner: row.get(0),
            company: row.get(1),
            status: row.get(2),
            issued,
            redeemed,
            net: issued - redeemed,
        });
    }
    report.net = report.issued - report.redeemed;
    Ok(report)
}
