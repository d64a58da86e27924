//! Reads and writes of people: partners and clients. Ledger tables are not written here (only the ledger does).

use anyhow::Context;
use fsm::{ClientId, MemberCode, PartnerId};
use tokio_postgres::GenericClient;
use tokio_postgres::error::SqlState;

/// How often to draw a new member or referral code when the random one is taken; with 32^6 codes a second try is
/// already rare.
const CODE_ATTEMPTS_MAX: usize = 8;

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

/// The client with this Telegram id, created when new. Returns the id and whether it was created just now.
pub async fn upsert_client_by_telegram(
    db: &impl GenericClient,
    telegram_id: i64,
    first_name: Option<&str>,
    referred_by: Option<PartnerId>,
) -> anyhow::Result<(ClientId, bool)> {
    if let Some(row) = db
        .query_opt(
            "SELECT id FROM clients WHERE telegram_id = $1",
            &[&telegram_id],
        )
        .await?
    {
        return Ok((ClientId(row.get(0)), false));
    }
    let via = if referred_by.is_some() {
        "partner_link"
    } else {
        "bot"
    };
    for _ in 0..CODE_ATTEMPTS_MAX {
        let code = MemberCode::from_random(rand::random::<u64>());
        let row = db
            .query_opt(
                "INSERT INTO clients (telegram_id, member_code, first_name, referred_by, registered_via)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (telegram_id) DO NOTHING
                 RETURNING id",
                &[&telegram_id, &code.as_str(), &first_name, &referred_by.map(|p| p.0), &via],
            )
            .await;
        match row {
            Ok(Some(row)) => return Ok((ClientId(row.get(0)), true)),
            // Another replica registered the same user a moment ago.
            Ok(None) => {
                let row = db
                    .query_one(
                        "SELECT id FROM clients WHERE telegram_id = $1",
                        &[&telegram_id],
                    )
                    .await?;
                return Ok((ClientId(row.get(0)), false));
            }
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => continue,
            Err(e) => return Err(e).context("creating a client"),
        }
    }
    anyhow::bail!("no free member code after {CODE_ATTEMPTS_MAX} attempts")
}

/// The wallet balance of a client (0 before their first operation).
pub async fn wallet_balance(db: &impl GenericClient, client: ClientId) -> anyhow::Result<i64> {
    let row = db
        .query_opt(
            "SELECT balance FROM accounts WHERE kind = 'client_wallet' AND client_id = $1",
            &[&client.0],
        )
        .await?;
    Ok(row.map_or(0, |r| r.get(0)))
}
