//! The admin's reads and writes besides moderation (SPEC §6): the network's statistics, partners found by number or
//! name, a partner's cashback rate (audited), and an operation as the reversal dialogue shows it.

use fsm::admin::{NetworkStats, OperationCard, PartnerRow, RateChanged};
use fsm::{CashbackRate, Lang};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use tokio_postgres::GenericClient;

use super::stats::period_starts;

/// The most characters of a partner query that are searched for (company names hold at most 200).
pub const PARTNER_QUERY_CHARS_MAX: usize = 200;

/// The network's statistics at `now`; "active" means an accrual or a redemption since the network calendar's day
/// 29 days before today (`tz`), as the partners' `/stats` counts its 30 days. A reversed operation counts nowhere
/// (not in the operations, the turnover or the points); reversals are those an admin made (`actor_id` ≠ 0: the
/// claim of an enrolled phone reverses the duplicate record's welcome bonus as the system, id 0).
///
/// Errors: the database, or a time outside jiff's range.
pub async fn network_stats(
    db: &impl GenericClient,
    now: Timestamp,
    tz: &TimeZone,
) -> anyhow::Result<NetworkStats> {
    let (_, month) = period_starts(now, tz)?;
    let row = db
        .query_one(
            "SELECT
                (SELECT count(*) FROM clients WHERE merged_into IS NULL),
                (SELECT count(DISTINCT client_id) FROM operations
                  WHERE kind IN ('accrual', 'redemption') AND created_at >= $1),
                (SELECT count(*) FROM partners WHERE status = 'pending'),
                (SELECT count(*) FROM partners WHERE status = 'approved'),
                (SELECT count(*) FROM partners WHERE status = 'rejected'),
                count(*) FILTER (WHERE o.kind = 'accrual' AND r.id IS NULL),
                count(*) FILTER (WHERE o.kind = 'redemption' AND r.id IS NULL),
                count(*) FILTER (WHERE o.kind = 'reversal' AND o.actor_id <> 0),
                COALESCE(sum(o.receipt_kopecks) FILTER (WHERE o.kind = 'accrual' AND r.id IS NULL), 0)::bigint,
                COALESCE(sum(o.points) FILTER (WHERE o.kind = 'accrual' AND r.id IS NULL), 0)::bigint,
                COALESCE(sum(o.points) FILTER (WHERE o.kind = 'welcome_bonus' AND r.id IS NULL), 0)::bigint,
                COALESCE(sum(o.points) FILTER (WHERE o.kind = 'redemption' AND r.id IS NULL), 0)::bigint
             FROM operations o LEFT JOIN operations r ON r.reverses_operation_id = o.id",
            &[&month],
        )
        .await?;
    let nps = db
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE rating >= 9),
                    count(*) FILTER (WHERE rating BETWEEN 7 AND 8), count(*) FILTER (WHERE rating <= 6)
             FROM nps_ratings",
            &[],
        )
        .await?;
    Ok(NetworkStats {
        clients: row.get(0),
        active_clients_30d: row.get(1),
        partners_pending: row.get(2),
        partners_approved: row.get(3),
        partners_rejected: row.get(4),
        accruals: row.get(5),
        redemptions: row.get(6),
        reversals: row.get(7),
        turnover_kopecks: row.get(8),
        points_accrued: row.get(9),
        points_bonus: row.get(10),
        points_redeemed: row.get(11),
        ratings: nps.get(0),
        promoters: nps.get(1),
        passives: nps.get(2),
        detractors: nps.get(3),
    })
}

fn partner_row(row: &tokio_postgres::Row) -> PartnerRow {
    PartnerRow {
        id: row.get(0),
        company: row.get(1),
        status: row.get(2),
        rate: CashbackRate::from_stored(row.get(3)).unwrap_or(CashbackRate::DEFAULT),
        telegram_id: row.get(4),
        lang: Lang::parse(row.get(5)).unwrap_or_default(),
    }
}

/// Partners whose number is `query` (`12` or `#12`), or whose company name contains it (case-insensitive), at most
/// `limit`, by number.
pub async fn find_partners(
    db: &impl GenericClient,
    query: &str,
    limit: i64,
) -> Result<Vec<PartnerRow>, tokio_postgres::Error> {
    let query: String = query.trim().chars().take(PARTNER_QUERY_CHARS_MAX).collect();
    let number = query.trim_start_matches('#').parse::<i64>().ok();
    // LIKE's wildcards in the admin's text are literal.
    let pattern = format!(
        "%{}%",
        query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows = db
        .query(
            "SELECT id, company_name, status, cashback_bp, telegram_id, COALESCE(language_override, language)
             FROM partners WHERE id = $1 OR company_name ILIKE $2 ORDER BY (id = $1) DESC, id LIMIT $3",
            &[&number.unwrap_or(-1), &pattern, &limit],
        )
        .await?;
    Ok(rows.iter().map(partner_row).collect())
}

/// Sets the cashback rate of `partner` to `rate` (the caller checked the network's bounds) and audits it as
/// `admin_id`'s `partner.rate`, in one transaction.
pub async fn set_rate(
    db: &mut deadpool_postgres::Client,
    admin_id: i64,
    partner: i64,
    rate: CashbackRate,
) -> Result<RateChanged, tokio_postgres::Error> {
    let tx = db.transaction().await?;
    let Some(row) = tx
        .query_opt(
            "SELECT cashback_bp FROM partners WHERE id = $1 FOR UPDATE",
            &[&partner],
        )
        .await?
    else {
        return Ok(RateChanged::NotFound);
    };
    let previous = CashbackRate::from_stored(row.get(0)).unwrap_or(CashbackRate::DEFAULT);
    if previous == rate {
        return Ok(RateChanged::Unchanged);
    }
    let bp = i32::try_from(rate.basis_points()).unwrap_or(i32::MAX);
    tx.execute(
        "UPDATE partners SET cashback_bp = $2, updated_at = now() WHERE id = $1",
        &[&partner, &bp],
    )
    .await?;
    let detail = serde_json::json!({
        "from_bp": previous.basis_points(),
        "to_bp": rate.basis_points(),
    });
    audit(
        &*tx,
        admin_id,
        "partner.rate",
        &format!("partner:{partner}"),
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(RateChanged::Done { previous })
}

/// Writes an `admin_audit_log` row: `admin_id` (Telegram id) did `action` (`moderation.approve`, `partner.rate`,
/// `operation.reverse`, ...) to `subject` (`partner:12`, `service:3`, `operation:1042`), with `detail` as JSON.
pub async fn audit(
    db: &impl GenericClient,
    admin_id: i64,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
) -> Result<(), tokio_postgres::Error> {
    db.execute(
        "INSERT INTO admin_audit_log (admin_id, action, subject, detail) VALUES ($1, $2, $3, $4::text::jsonb)",
        &[&admin_id, &action, &subject, &detail.to_string()],
    )
    .await
    .map(drop)
}

/// Operation `id` as the reversal dialogue shows it, its time written in `tz`; `None` if there is none.
pub async fn operation(
    db: &impl GenericClient,
    id: i64,
    tz: &TimeZone,
) -> anyhow::Result<Option<OperationCard>> {
    let Some(row) = db
        .query_opt(
            "SELECT o.id, o.kind, c.member_code, c.telegram_id, COALESCE(c.language_override, c.language),
                    p.company_name, o.points, o.receipt_kopecks, floor(extract(epoch FROM o.created_at))::bigint,
                    (SELECT r.id FROM operations r WHERE r.reverses_operation_id = o.id)
             FROM operations o
             JOIN clients c ON c.id = o.client_id
             LEFT JOIN partners p ON p.id = o.partner_id
             WHERE o.id = $1",
            &[&id],
        )
        .await?
    else {
        return Ok(None);
    };
    let at = Timestamp::from_second(row.get(8))?;
    Ok(Some(OperationCard {
        id: row.get(0),
        kind: row.get(1),
        member_code: row.get(2),
        client_chat: row.get(3),
        client_lang: Lang::parse(row.get(4)).unwrap_or_default(),
        company: row.get(5),
        points: row.get(6),
        receipt_kopecks: row.get(7),
        date: at
            .to_zoned_datetime(tz.clone())
            .strftime("%d.%m.%Y %H:%M")
            .to_string(),
        reversed_by: row.get(9),
    }))
}
