//! Clients: registration, the client behind a chat, lookups by phone or member code, the own phone, the language.

use anyhow::Context;
use fsm::{ClientId, Lang, MemberCode, PartnerId, Phone};
use tokio_postgres::GenericClient;
use tokio_postgres::error::SqlState;

use super::read_row;

/// How often to draw a new member code when the random one is taken; with 32^6 codes a second try is already rare.
const CODE_ATTEMPTS_MAX: usize = 8;

/// The client behind a Telegram account, as a dialogue step needs it.
#[derive(Debug, Clone)]
pub struct ClientRow {
    pub member_code: String,
    pub phone_verified: bool,
    /// Points in the wallet (0 before the first operation).
    pub balance: i64,
    /// The language chosen with `/language`, if any.
    pub language_override: Option<Lang>,
    /// The language of the client's texts without a choice: Telegram's latest `language_code`.
    pub language: Lang,
}

/// The client with Telegram id `telegram_id`, if registered.
pub async fn by_telegram(
    db: &deadpool_postgres::Client,
    telegram_id: i64,
) -> Result<Option<ClientRow>, tokio_postgres::Error> {
    let row = read_row(
        db,
        "SELECT c.member_code, c.phone_verified, COALESCE(a.balance, 0), c.language_override, c.language
         FROM clients c LEFT JOIN accounts a ON a.kind = 'client_wallet' AND a.client_id = c.id
         WHERE c.telegram_id = $1",
        &[&telegram_id],
    )
    .await?;
    Ok(row.map(|row| ClientRow {
        member_code: row.get(0),
        phone_verified: row.get(1),
        balance: row.get(2),
        language_override: row.get::<_, Option<&str>>(3).and_then(Lang::parse),
        language: Lang::parse(row.get::<_, &str>(4)).unwrap_or_default(),
    }))
}

/// Makes the client's texts follow Telegram's latest `language_code` (notices included), unless they chose one.
pub async fn follow_language(
    db: &impl GenericClient,
    telegram_id: i64,
    lang: Lang,
) -> Result<(), tokio_postgres::Error> {
    db.execute(
        "UPDATE clients SET language = $1 WHERE telegram_id = $2 AND language <> $1",
        &[&lang.as_str(), &telegram_id],
    )
    .await
    .map(drop)
}

/// At registration: a language the user chose with `/language` before registering becomes their choice.
pub async fn adopt_language_choice(
    db: &impl GenericClient,
    client: ClientId,
    telegram_id: i64,
) -> Result<(), tokio_postgres::Error> {
    db.execute(
        "UPDATE clients SET language_override = lc.language FROM language_choices lc
         WHERE lc.bot = 'client' AND lc.telegram_id = $2 AND clients.id = $1",
        &[&client.0, &telegram_id],
    )
    .await
    .map(drop)
}

/// How a partner names a client: by phone or by member code.
#[derive(Debug, Clone, Copy)]
pub enum ClientKey<'a> {
    Phone(&'a Phone),
    Code(&'a MemberCode),
}

/// A client found by a partner.
#[derive(Debug, Clone)]
pub struct FoundRow {
    pub id: ClientId,
    /// None for a client enrolled by phone who has not opened the client bot yet.
    pub telegram_id: Option<i64>,
    /// The language their notices are written in.
    pub lang: Lang,
    /// Points in the wallet.
    pub balance: i64,
}

/// The client a partner named, if any.
pub async fn find(
    db: &deadpool_postgres::Client,
    key: ClientKey<'_>,
) -> Result<Option<FoundRow>, tokio_postgres::Error> {
    // One select list for both lookups, as literals so each whole statement is a constant the cache can key on.
    macro_rules! select {
        () => {
            "SELECT c.id, c.telegram_id, COALESCE(c.language_override, c.language), COALESCE(a.balance, 0)
             FROM clients c LEFT JOIN accounts a ON a.kind = 'client_wallet' AND a.client_id = c.id"
        };
    }
    const BY_PHONE: &str = concat!(select!(), " WHERE c.phone = $1");
    // A record retired by a claim (`merged_into`) keeps its code but is nobody's any more: a partner cannot reach it.
    const BY_CODE: &str = concat!(
        select!(),
        " WHERE c.member_code = $1 AND c.merged_into IS NULL"
    );
    let row = match key {
        ClientKey::Phone(p) => read_row(db, BY_PHONE, &[&p.as_str()]).await?,
        ClientKey::Code(c) => read_row(db, BY_CODE, &[&c.as_str()]).await?,
    };
    Ok(row.map(|row| FoundRow {
        id: ClientId(row.get(0)),
        telegram_id: row.get(1),
        lang: row
            .get::<_, Option<&str>>(2)
            .and_then(Lang::parse)
            .unwrap_or_default(),
        balance: row.get(3),
    }))
}

/// Whether the client's phone was verified by their own contact card.
pub async fn phone_verified(
    db: &impl GenericClient,
    client: ClientId,
) -> Result<bool, tokio_postgres::Error> {
    let row = db
        .query_one(
            "SELECT phone_verified FROM clients WHERE id = $1",
            &[&client.0],
        )
        .await?;
    Ok(row.get(0))
}

/// Sets the language the client's texts are written in at registration (from Telegram's `language_code`).
pub async fn set_registration_language(
    db: &impl GenericClient,
    client: ClientId,
    lang: Lang,
) -> Result<(), tokio_postgres::Error> {
    db.execute(
        "UPDATE clients SET language = $1 WHERE id = $2",
        &[&lang.as_str(), &client.0],
    )
    .await
    .map(drop)
}

/// Stores the language a registered client chose with `/language`; false when there is no such client.
pub async fn set_language(
    db: &impl GenericClient,
    telegram_id: i64,
    lang: Lang,
) -> Result<bool, tokio_postgres::Error> {
    let updated = db
        .execute(
            "UPDATE clients SET language_override = $1 WHERE telegram_id = $2",
            &[&lang.as_str(), &telegram_id],
        )
        .await?;
    Ok(updated > 0)
}

/// What saving an own phone did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavePhone {
    Saved,
    /// The number is another member's.
    Taken,
}

/// Saves the verified own phone of the client with Telegram id `telegram_id`.
pub async fn save_own_phone(
    db: &impl GenericClient,
    telegram_id: i64,
    phone: &Phone,
) -> Result<SavePhone, tokio_postgres::Error> {
    let result = db
        .execute(
            "UPDATE clients SET phone = $1, phone_verified = true, claimed_at = COALESCE(claimed_at, now())
             WHERE telegram_id = $2",
            &[&phone.as_str(), &telegram_id],
        )
        .await;
    match result {
        Ok(_) => Ok(SavePhone::Saved),
        // The phone is someone else's. (Claiming a partner-enrolled record with this phone comes with enrolment.)
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Ok(SavePhone::Taken),
        Err(e) => Err(e),
    }
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
