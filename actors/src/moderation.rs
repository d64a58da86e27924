//! Moderation (SPEC §6, §8): admins approve or reject partner applications and partners' services, from the admin
//! bot or the web dashboard, through this one path. A decided item can be re-decided; every decision that changes
//! something writes its history (`partner_application_events` for applications) and an `admin_audit_log` row, and
//! queues the applicant's or partner's notice in the partner bot.
//!
//! The notice is appended to the outbox stream before the transaction commits (as the redemption sweeper does): a
//! crash in between leaves the item undecided, so the admin's retry decides it and the partner may hear twice, but a
//! decision that committed is never left untold. Deciding what already holds (a double tap) changes nothing and
//! tells nobody.

use deadpool_postgres::Pool;
use fsm::{BotKind, Lang};
use tokio_postgres::GenericClient;
use tokio_postgres::Row;

use crate::outgoing::Outgoing;
use crate::session::store::SessionStore;

pub use fsm::admin::{
    ApplicationCard, Card, Decided, Queue, REASON_MAX_CHARS, ServiceCard, Subject, Verdict,
};

const APPLICATION_CARD: &str = "SELECT p.id, p.company_name, p.contact_name, p.phone, COALESCE(p.city, ''),
        COALESCE(p.category, ''), p.status,
        (SELECT e.reason FROM partner_application_events e WHERE e.partner_id = p.id ORDER BY e.id DESC LIMIT 1),
        floor(extract(epoch FROM COALESCE(
            (SELECT max(e.created_at) FROM partner_application_events e
              WHERE e.partner_id = p.id AND e.status = 'pending'), p.created_at)))::bigint
    FROM partners p";

const SERVICE_CARD: &str =
    "SELECT s.id, s.partner_id, p.company_name, s.title, s.description, s.price_points,
        s.status, s.reject_reason, floor(extract(epoch FROM s.created_at))::bigint
    FROM services s JOIN partners p ON p.id = s.partner_id";

fn application_card(row: &Row) -> ApplicationCard {
    ApplicationCard {
        partner: row.get(0),
        company: row.get(1),
        contact: row.get(2),
        phone: row.get(3),
        city: row.get(4),
        category: row.get(5),
        status: row.get(6),
        reason: row.get(7),
        submitted_at_unix_s: row.get(8),
    }
}

fn service_card(row: &Row) -> ServiceCard {
    ServiceCard {
        id: row.get(0),
        partner: row.get(1),
        company: row.get(2),
        title: row.get(3),
        description: row.get(4),
        price_points: row.get(5),
        status: row.get(6),
        reason: row.get(7),
        created_at_unix_s: row.get(8),
    }
}

/// The pending applications and services, oldest first, at most `limit` of each.
pub async fn queue(db: &impl GenericClient, limit: i64) -> Result<Queue, tokio_postgres::Error> {
    let applications = db
        .query(
            &format!(
                "{APPLICATION_CARD} WHERE p.status = 'pending' ORDER BY p.updated_at, p.id LIMIT $1"
            ),
            &[&limit],
        )
        .await?;
    let services = db
        .query(
            &format!(
                "{SERVICE_CARD} WHERE s.status = 'pending' AND s.deleted_at IS NULL ORDER BY s.id LIMIT $1"
            ),
            &[&limit],
        )
        .await?;
    Ok(Queue {
        applications: applications.iter().map(application_card).collect(),
        services: services.iter().map(service_card).collect(),
    })
}

/// One application's card, whatever its status.
pub async fn application(
    db: &impl GenericClient,
    partner: i64,
) -> Result<Option<ApplicationCard>, tokio_postgres::Error> {
    let row = db
        .query_opt(&format!("{APPLICATION_CARD} WHERE p.id = $1"), &[&partner])
        .await?;
    Ok(row.as_ref().map(application_card))
}

/// The card of `subject`, whatever its status (none if it does not exist or the service was deleted).
pub async fn card(
    db: &impl GenericClient,
    subject: Subject,
) -> Result<Option<Card>, tokio_postgres::Error> {
    Ok(match subject {
        Subject::Application(partner) => application(db, partner).await?.map(Card::Application),
        Subject::Service(id) => service(db, id).await?.map(Card::Service),
    })
}

/// One service's card, whatever its status (none once deleted).
pub async fn service(
    db: &impl GenericClient,
    id: i64,
) -> Result<Option<ServiceCard>, tokio_postgres::Error> {
    let row = db
        .query_opt(
            &format!("{SERVICE_CARD} WHERE s.id = $1 AND s.deleted_at IS NULL"),
            &[&id],
        )
        .await?;
    Ok(row.as_ref().map(service_card))
}

/// Decides `subject` as `admin_id` (a Telegram id the caller checked against the allow-list): see the module doc.
///
/// Errors: the database or Redis failed; nothing is stored then (the partner may have been told; see above).
pub async fn decide(
    pg: &Pool,
    outbox: &SessionStore,
    admin_id: i64,
    subject: Subject,
    verdict: Verdict,
) -> anyhow::Result<Decided> {
    let reason = match &verdict {
        Verdict::Reject { reason: Some(r) } => {
            let r = r.trim();
            if r.chars().count() > REASON_MAX_CHARS {
                return Ok(Decided::ReasonTooLong);
            }
            (!r.is_empty()).then(|| r.to_string())
        }
        _ => None,
    };
    let approved = verdict == Verdict::Approve;
    let status = verdict.status();
    let mut db = pg.get().await?;
    let tx = db.transaction().await?;
    // The row is locked so two admins deciding at once are serialised: the second sees the first's status.
    let (lock, id, audit_subject) = match subject {
        Subject::Application(partner) => (
            "SELECT status, telegram_id, COALESCE(language_override, language), company_name
             FROM partners WHERE id = $1 FOR UPDATE",
            partner,
            format!("partner:{partner}"),
        ),
        Subject::Service(service) => (
            "SELECT s.status, p.telegram_id, COALESCE(p.language_override, p.language), s.title
             FROM services s JOIN partners p ON p.id = s.partner_id
             WHERE s.id = $1 AND s.deleted_at IS NULL FOR UPDATE OF s",
            service,
            format!("service:{service}"),
        ),
    };
    let Some(row) = tx.query_opt(lock, &[&id]).await? else {
        return Ok(Decided::NotFound);
    };
    let previous: String = row.get(0);
    if previous == status {
        return Ok(Decided::Unchanged);
    }
    let telegram_id: i64 = row.get(1);
    let lang = Lang::parse(row.get(2)).unwrap_or_default();
    // The company (an application) or the service's title, as the partner's notice names it.
    let name: String = row.get(3);
    let notice = match subject {
        Subject::Application(partner) => {
            tx.execute(
                "UPDATE partners SET status = $2, updated_at = now() WHERE id = $1",
                &[&partner, &status],
            )
            .await?;
            tx.execute(
                "INSERT INTO partner_application_events (partner_id, status, reason, decided_by)
                 VALUES ($1, $2, $3, $4)",
                &[&partner, &status, &reason, &admin_id],
            )
            .await?;
            fsm::partner::onboarding::decision_notice(lang, &name, approved, reason.as_deref())
        }
        Subject::Service(service) => {
            tx.execute(
                "UPDATE services SET status = $2, reject_reason = $3, decided_at = now() WHERE id = $1",
                &[&service, &status, &reason],
            )
            .await?;
            fsm::partner::services::decision_notice(lang, &name, approved, reason.as_deref())
        }
    };
    let detail = serde_json::json!({ "from": previous, "to": status, "reason": reason });
    let action = if approved {
        "moderation.approve"
    } else {
        "moderation.reject"
    };
    crate::db::admin::audit(&*tx, admin_id, action, &audit_subject, &detail).await?;
    outbox
        .append(&[Outgoing::send(BotKind::Partner, telegram_id, notice)])
        .await?;
    tx.commit().await?;
    Ok(Decided::Done { previous })
}
