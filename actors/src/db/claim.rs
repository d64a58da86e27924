//! The claim of a partner-enrolled client (SPEC §3, issue 14).
//!
//! `/start` registers a Telegram user (a fresh row with the welcome bonus) before they share their phone. When the
//! verified own phone turns out to be a record a partner enrolled (`telegram_id IS NULL AND phone = $1`), that
//! record becomes theirs in one transaction: the fresh row gives up its Telegram id (`merged_into` names the claimed
//! record) and the claimed one takes it, with `phone_verified` and `claimed_at`. Balance, history and referral of the
//! enrolled record stay as they are; no journal row moves (they are append-only). The fresh row's welcome bonus is
//! settled through the ledger afterwards ([`unsettled_bonuses`]): reversed there and granted once on the claimed
//! record, so the person holds exactly one welcome bonus.
//!
//! Two concurrent claims of one record: both lock it with `FOR UPDATE`; the second re-reads it after the first
//! commits, finds `telegram_id` set and claims nothing (its phone save then meets the unique phone: "taken").

use fsm::{ClientId, OperationId, Phone};

/// What [`claim`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// No unclaimed enrolled record has this phone: save the phone as usual.
    NotEnrolled,
    /// The enrolled record is the sender's now.
    Claimed { into: ClientId },
    /// The sender's own fresh record already has activity besides the welcome bonus (an accrual, a redemption or a
    /// request), which cannot be folded into another record without moving ledger rows: nothing changed.
    OwnRecordActive,
}

/// Claims the unclaimed record with `phone` for the Telegram user `telegram_id` (whose own contact proved the
/// phone; the caller checked that). Errors are Postgres's; nothing is written unless it returns `Claimed`.
pub async fn claim(
    db: &mut deadpool_postgres::Client,
    telegram_id: i64,
    phone: &Phone,
) -> Result<Claim, tokio_postgres::Error> {
    let tx = db.transaction().await?;
    // Lock order: the enrolled record, then the sender's own; every claim takes them in this order.
    let Some(enrolled) = tx
        .query_opt(
            "SELECT id FROM clients WHERE phone = $1 AND telegram_id IS NULL FOR UPDATE",
            &[&phone.as_str()],
        )
        .await?
    else {
        return Ok(Claim::NotEnrolled);
    };
    let into: i64 = enrolled.get(0);
    let own = tx
        .query_opt(
            "SELECT id, first_name, language, language_override,
                    EXISTS (SELECT 1 FROM operations o WHERE o.client_id = c.id AND o.kind <> 'welcome_bonus')
                    OR EXISTS (SELECT 1 FROM redemption_requests r WHERE r.client_id = c.id)
             FROM clients c WHERE telegram_id = $1 FOR UPDATE",
            &[&telegram_id],
        )
        .await?;
    let (first_name, language, language_override) = match &own {
        Some(own) if own.get::<_, bool>(4) => return Ok(Claim::OwnRecordActive),
        Some(own) => {
            let id: i64 = own.get(0);
            // The Telegram id is unique: the fresh row gives it up first.
            tx.execute(
                "UPDATE clients SET telegram_id = NULL, phone = NULL, phone_verified = false, merged_into = $2
                 WHERE id = $1",
                &[&id, &into],
            )
            .await?;
            (
                own.get::<_, Option<String>>(1),
                own.get::<_, Option<String>>(2),
                own.get::<_, Option<String>>(3),
            )
        }
        None => (None, None, None),
    };
    // The person's own name and language come with them; the record's referral (the enrolling partner) stays.
    tx.execute(
        "UPDATE clients SET telegram_id = $2, phone_verified = true, claimed_at = now(),
                first_name = COALESCE($3, first_name), language = COALESCE($4, language),
                language_override = COALESCE($5, language_override)
         WHERE id = $1",
        &[
            &into,
            &telegram_id,
            &first_name,
            &language,
            &language_override,
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(Claim::Claimed {
        into: ClientId(into),
    })
}

/// A welcome bonus of a record retired into `client` by a claim, to reverse before `client` gets its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetiredBonus {
    /// The retired (fresh) record.
    pub retired: ClientId,
    /// Its welcome-bonus operation.
    pub operation: OperationId,
}

/// The welcome bonuses of records merged into `client` that no reversal compensates yet. Empty for almost everyone
/// (one indexed probe): only a claim leaves any, and the claim's handler settles them at once; a crash in between is
/// settled by the next `/start` or contact.
pub async fn unsettled_bonuses(
    db: &deadpool_postgres::Client,
    client: ClientId,
) -> Result<Vec<RetiredBonus>, tokio_postgres::Error> {
    let rows = db
        .query(
            "SELECT m.id, o.id FROM clients m
             JOIN operations o ON o.client_id = m.id AND o.kind = 'welcome_bonus'
             WHERE m.merged_into = $1
               AND NOT EXISTS (SELECT 1 FROM operations r WHERE r.reverses_operation_id = o.id)",
            &[&client.0],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| RetiredBonus {
            retired: ClientId(r.get(0)),
            operation: OperationId(r.get(1)),
        })
        .collect())
}

/// The partner that referred `client` (kept through a claim), for the welcome bonus's statistics.
pub async fn referrer(
    db: &deadpool_postgres::Client,
    client: ClientId,
) -> Result<Option<fsm::PartnerId>, tokio_postgres::Error> {
    let row = db
        .query_one(
            "SELECT referred_by FROM clients WHERE id = $1",
            &[&client.0],
        )
        .await?;
    Ok(row.get::<_, Option<i64>>(0).map(fsm::PartnerId))
}
