//! Partner applications and the partner's own profile: submitting (a new Pending partner, or a rejected one back
//! to Pending) with its `partner_application_events` row and the `admin_notifications` record; the reason of the
//! latest rejection; the profile `/settings` shows and edits; the admins' languages.
//!
//! Submitting is idempotent under the application's draft id (migration 0004): the update that submits may run
//! again after a crash, or on two replicas at once, and every run finds the one application.

use std::collections::HashMap;

use anyhow::Context;
use fsm::callback::SettingField;
use fsm::partner::{ApplicationForm, Profile};
use fsm::{BotKind, CashbackRate, Lang, MemberCode, PartnerId};
use tokio_postgres::GenericClient;

use super::read_row;

/// Tries at a free referral code (and at the row a concurrent run of the same update inserted).
const ATTEMPTS_MAX: usize = 8;

/// How a submission ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submission {
    /// The application under this draft is stored (by this call or an earlier one).
    Stored,
    /// The sender is approved or already has an application under review: nothing was written.
    NotAllowed,
}

/// A referral payload for the client bot's deep link: `p_` and a member-code-like tail, 8 characters of
/// `A-Za-z0-9_` (Telegram allows 64 of `A-Za-z0-9_-`).
fn new_referral_code() -> String {
    format!(
        "p_{}",
        MemberCode::from_random(rand::random::<u64>())
            .as_str()
            .to_lowercase()
    )
}

/// Stores the application of `telegram_id` under `draft`, and records a notification to each of `admins` (subject
/// `application:<event id>`, for the admin bot's cards). One transaction; the partner's row is locked first, so two
/// runs of the same update serialize and the second finds the first's event.
pub async fn submit(
    db: &mut deadpool_postgres::Client,
    telegram_id: i64,
    lang: Lang,
    draft: &str,
    form: &ApplicationForm,
    admins: &[i64],
) -> anyhow::Result<Submission> {
    let phone = form.phone.as_ref().map(|p| p.as_str().to_owned());
    let tx = db.transaction().await?;
    let mut partner = None;
    for _ in 0..ATTEMPTS_MAX {
        let row = tx
            .query_opt(
                "SELECT id, status FROM partners WHERE telegram_id = $1 FOR UPDATE",
                &[&telegram_id],
            )
            .await?;
        let again = tx
            .query_opt(
                "SELECT 1 FROM partner_application_events WHERE draft = $1",
                &[&draft],
            )
            .await?;
        if again.is_some() {
            tx.commit().await?;
            return Ok(Submission::Stored);
        }
        match row {
            None => {
                let inserted = tx
                    .query_opt(
                        // The language chosen with /language while applying stays the partner's choice.
                        "INSERT INTO partners (telegram_id, contact_name, company_name, phone, city, category,
                                               status, referral_code, language, language_override)
                         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8,
                                 (SELECT language FROM language_choices WHERE bot = 'partner' AND telegram_id = $1))
                         ON CONFLICT DO NOTHING RETURNING id",
                        &[
                            &telegram_id,
                            &form.contact,
                            &form.company,
                            &phone,
                            &form.city,
                            &form.category,
                            &new_referral_code(),
                            &lang.as_str(),
                        ],
                    )
                    .await?;
                // Nothing inserted: the referral code was taken, or a concurrent run inserted this partner (then
                // the next round waits for its lock and finds its event).
                if let Some(row) = inserted {
                    partner = Some(row.get::<_, i64>(0));
                    break;
                }
            }
            Some(row) if row.get::<_, &str>(1) == "rejected" => {
                let id: i64 = row.get(0);
                tx.execute(
                    "UPDATE partners SET contact_name = $2, company_name = $3, phone = $4, city = $5, category = $6,
                            status = 'pending', updated_at = now()
                     WHERE id = $1",
                    &[&id, &form.contact, &form.company, &phone, &form.city, &form.category],
                )
                .await?;
                partner = Some(id);
                break;
            }
            Some(_) => {
                tx.commit().await?;
                return Ok(Submission::NotAllowed);
            }
        }
    }
    let partner = partner.context("no free referral code for a new partner")?;
    let event: i64 = tx
        .query_one(
            "INSERT INTO partner_application_events (partner_id, status, draft) VALUES ($1, 'pending', $2)
             RETURNING id",
            &[&partner, &draft],
        )
        .await?
        .get(0);
    record_notifications(&*tx, admins, &format!("application:{event}")).await?;
    tx.commit().await?;
    Ok(Submission::Stored)
}

/// Records that `admins` are told about `subject` (the admin bot's cards read this).
pub async fn record_notifications(
    db: &impl GenericClient,
    admins: &[i64],
    subject: &str,
) -> Result<(), tokio_postgres::Error> {
    db.execute(
        "INSERT INTO admin_notifications (admin_id, subject) SELECT unnest($1::bigint[]), $2
         ON CONFLICT DO NOTHING",
        &[&admins, &subject],
    )
    .await
    .map(drop)
}

/// Every admin of `admins` with the language they chose in the admin bot (Russian when none), ordered by id.
pub async fn admin_languages(
    db: &impl GenericClient,
    admins: &[i64],
) -> Result<Vec<(i64, Lang)>, tokio_postgres::Error> {
    let rows = db
        .query(
            "SELECT telegram_id, language FROM language_choices WHERE bot = $1 AND telegram_id = ANY($2)",
            &[&BotKind::Admin.as_str(), &admins],
        )
        .await?;
    let chosen: HashMap<i64, Lang> = rows
        .iter()
        .filter_map(|r| Some((r.get(0), Lang::parse(r.get::<_, &str>(1))?)))
        .collect();
    let mut out: Vec<(i64, Lang)> = admins
        .iter()
        .map(|id| (*id, chosen.get(id).copied().unwrap_or_default()))
        .collect();
    out.sort_unstable_by_key(|(id, _)| *id);
    Ok(out)
}

/// The reason of the partner's latest application event (the rejection, for a rejected partner), if any was given.
pub async fn latest_reason(
    db: &deadpool_postgres::Client,
    partner: PartnerId,
) -> Result<Option<String>, tokio_postgres::Error> {
    let row = read_row(
        db,
        "SELECT reason FROM partner_application_events WHERE partner_id = $1 ORDER BY id DESC LIMIT 1",
        &[&partner.0],
    )
    .await?;
    Ok(row.and_then(|r| r.get(0)))
}

/// The partner's profile for `/settings`.
pub async fn profile(
    db: &impl GenericClient,
    partner: PartnerId,
) -> Result<Option<Profile>, tokio_postgres::Error> {
    let row = db
        .query_opt(
            "SELECT company_name, contact_name, phone, city, category, cashback_bp FROM partners WHERE id = $1",
            &[&partner.0],
        )
        .await?;
    Ok(row.map(|r| Profile {
        company: r.get(0),
        contact: r.get(1),
        phone: r.get(2),
        city: r.get(3),
        category: r.get(4),
        rate: CashbackRate::from_stored(r.get(5)).unwrap_or(CashbackRate::DEFAULT),
    }))
}

/// Changes one field of the partner's profile (the caller bounds its length, as the table does).
pub async fn save_field(
    db: &impl GenericClient,
    partner: PartnerId,
    field: SettingField,
    value: &str,
) -> Result<(), tokio_postgres::Error> {
    // One statement per field: the column is never built from input.
    let sql = match field {
        SettingField::Company => {
            "UPDATE partners SET company_name = $2, updated_at = now() WHERE id = $1"
        }
        SettingField::Contact => {
            "UPDATE partners SET contact_name = $2, updated_at = now() WHERE id = $1"
        }
        SettingField::City => "UPDATE partners SET city = $2, updated_at = now() WHERE id = $1",
    };
    db.execute(sql, &[&partner.0, &value]).await.map(drop)
}

/// The partner's referral code (the deep-link payload of `/invite`).
pub async fn referral_code(
    db: &impl GenericClient,
    partner: PartnerId,
) -> Result<Option<String>, tokio_postgres::Error> {
    let row = db
        .query_opt(
            "SELECT referral_code FROM partners WHERE id = $1",
            &[&partner.0],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}
