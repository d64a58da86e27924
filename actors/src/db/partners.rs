//! Partners: creation (until the admin bot approves applications), the partner behind a chat, the language a
//! partner chose.

use anyhow::Context;
use fsm::{CashbackRate, Lang, MemberCode, PartnerId};
use tokio_postgres::GenericClient;
use tokio_postgres::error::SqlState;

use super::read_row;

/// How often to draw a new referral code when the random one is taken; with 32^6 codes a second try is already rare.
const CODE_ATTEMPTS_MAX: usize = 8;

/// A partner's application status (`partners.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerStatus {
    Pending,
    Approved,
    Rejected,
}

/// The partner behind a Telegram account, as a dialogue step needs it.
#[derive(Debug, Clone)]
pub struct PartnerRow {
    pub id: PartnerId,
    pub status: PartnerStatus,
    /// As the partner typed it (not escaped).
    pub company: String,
    pub rate: CashbackRate,
    /// The language chosen with `/language`, if any.
    pub language_override: Option<Lang>,
}

/// The partner with Telegram id `telegram_id`, if any.
pub async fn by_telegram(
    db: &deadpool_postgres::Client,
    telegram_id: i64,
) -> Result<Option<PartnerRow>, tokio_postgres::Error> {
    let row = read_row(
        db,
        "SELECT id, status, company_name, cashback_bp, language_override FROM partners WHERE telegram_id = $1",
        &[&telegram_id],
    )
    .await?;
    Ok(row.map(|row| PartnerRow {
        id: PartnerId(row.get(0)),
        status: match row.get::<_, &str>(1) {
            "approved" => PartnerStatus::Approved,
            "pending" => PartnerStatus::Pending,
            _ => PartnerStatus::Rejected,
        },
        company: row.get(2),
        rate: CashbackRate::from_stored(row.get(3)).unwrap_or(CashbackRate::DEFAULT),
        language_override: row.get::<_, Option<&str>>(4).and_then(Lang::parse),
    }))
}

/// The approved partner whose referral code is `code`, unless it is the user `telegram_id` themself (no
/// self-referral, SPEC §5): its id and company name (not escaped).
pub async fn referrer(
    db: &deadpool_postgres::Client,
    code: &str,
    telegram_id: i64,
) -> Result<Option<(PartnerId, String)>, tokio_postgres::Error> {
    let row = read_row(
        db,
        "SELECT id, company_name FROM partners WHERE referral_code = $1 AND status = 'approved' AND telegram_id <> $2",
        &[&code, &telegram_id],
    )
    .await?;
    Ok(row.map(|row| (PartnerId(row.get(0)), row.get(1))))
}

/// Stores the language a partner chose with `/language`.
pub async fn set_language(
    db: &impl GenericClient,
    telegram_id: i64,
    lang: Lang,
) -> Result<(), tokio_postgres::Error> {
    db.execute(
        "UPDATE partners SET language_override = $1 WHERE telegram_id = $2",
        &[&lang.as_str(), &telegram_id],
    )
    .await
    .map(drop)
}

/// A partner with an approved application, created or found by Telegram id (the CLI and the tests use this until the
/// admin bot approves applications).
pub async fn upsert_approved_partner(
    db: &impl GenericClient,
    telegram_id: i64,
    company_name: &str,
    cashback_bp: i32,
) -> anyhow::Result<PartnerId> {
    for _ in 0..CODE_ATTEMPTS_MAX {
        let referral = format!(
            "p_{}",
            MemberCode::from_random(rand::random::<u64>())
                .as_str()
                .to_lowercase()
        );
        let result = db
            .query_one(
                "INSERT INTO partners (telegram_id, contact_name, company_name, status, cashback_bp, referral_code)
                 VALUES ($1, $2, $2, 'approved', $3, $4)
                 ON CONFLICT (telegram_id) DO UPDATE
                    SET status = 'approved', company_name = EXCLUDED.company_name,
                        cashback_bp = EXCLUDED.cashback_bp, updated_at = now()
                 RETURNING id",
                &[&telegram_id, &company_name, &cashback_bp, &referral],
            )
            .await;
        match result {
            Ok(row) => {
                let id = PartnerId(row.get(0));
                db.execute(
                    "INSERT INTO partner_application_events (partner_id, status) VALUES ($1, 'approved')",
                    &[&id.0],
                )
                .await?;
                return Ok(id);
            }
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => continue,
            Err(e) => return Err(e).context("creating a partner"),
        }
    }
    anyhow::bail!("no free referral code after {CODE_ATTEMPTS_MAX} attempts")
}
