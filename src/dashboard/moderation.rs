//! The moderation queues: pending partner applications and services as cards with Approve and Reject (with a
//! reason), decided through `actors::moderation::decide` — the same path as the admin bot's buttons, so the
//! history, the audit row and the partner's notice through the partner bot are the same. A decided application can
//! be decided again from the partners table. After a decision the page comes back with a flash message of its
//! outcome (POST, redirect, GET).

use actix_web::{HttpRequest, HttpResponse, web};
use actors::moderation::{self, Decided, Subject, Verdict};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Deserialize;

use super::{Admin, DashError, Dashboard, page};

/// The most cards of each kind a page shows, oldest first.
pub(crate) const QUEUE_MAX: i64 = 100;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/moderation", web::get().to(queue))
        .route(
            "/moderation/application/{id}",
            web::post().to(decide_application),
        )
        .route("/moderation/service/{id}", web::post().to(decide_service));
}

async fn queue(
    req: HttpRequest,
    dash: web::Data<Dashboard>,
    admin: Admin,
) -> Result<HttpResponse, DashError> {
    let db = dash.db().await?;
    let queue = moderation::queue(&**db, QUEUE_MAX)
        .await
        .map_err(DashError::pg)?;
    let tz = dash.time_zone.clone();
    let when = |unix_s: i64| {
        jiff::Timestamp::from_second(unix_s)
            .map(|t| {
                t.to_zoned_datetime(tz.clone())
                    .strftime("%d.%m.%Y %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let applications: Vec<Value> = queue
        .applications
        .iter()
        .map(|a| context! { when => when(a.submitted_at_unix_s), ..Value::from(Serde(a)) })
        .collect();
    let services: Vec<Value> = queue
        .services
        .iter()
        .map(|s| context! { when => when(s.created_at_unix_s), ..Value::from(Serde(s)) })
        .collect();
    let extra = context! { applications => applications, services => services };
    Ok(page(&admin, &req, "moderation.html", "moderation", extra))
}

/// A card's form: the button pressed and, for Reject, the reason typed.
#[derive(Deserialize)]
struct DecisionForm {
    csrf: Option<String>,
    /// `approve` or `reject`.
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    reason: String,
    /// The page to show the outcome on: `partners` (a change of decision from the table), else the queue.
    #[serde(default)]
    back: String,
}

async fn decide_application(
    dash: web::Data<Dashboard>,
    admin: Admin,
    id: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, DashError> {
    decide(&dash, &admin, Subject::Application(*id), &form).await
}

async fn decide_service(
    dash: web::Data<Dashboard>,
    admin: Admin,
    id: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, DashError> {
    decide(&dash, &admin, Subject::Service(*id), &form).await
}

async fn decide(
    dash: &Dashboard,
    admin: &Admin,
    subject: Subject,
    form: &DecisionForm,
) -> Result<HttpResponse, DashError> {
    admin.check_csrf(form.csrf.as_deref())?;
    let verdict = match form.verdict.as_str() {
        "approve" => Verdict::Approve,
        "reject" => {
            let reason = form.reason.trim();
            Verdict::Reject {
                reason: (!reason.is_empty()).then(|| reason.to_owned()),
            }
        }
        _ => return Err(DashError::NotFound(admin.lang)),
    };
    let approve = verdict == Verdict::Approve;
    let decided = moderation::decide(&dash.pg, dash.store()?, admin.id, subject, verdict)
        .await
        .map_err(DashError::pg)?;
    let flash = match decided {
        Decided::Done { .. } if approve => "approved",
        Decided::Done { .. } => "rejected",
        Decided::Unchanged => "unchanged",
        Decided::NotFound => "not-found",
        Decided::ReasonTooLong => "reason-too-long",
    };
    tracing::info!(admin = admin.id, ?subject, flash, "dashboard: moderation");
    // Only the two pages that decide; anything else sent is not a page to go to.
    let back = if form.back == "partners" {
        "partners"
    } else {
        "moderation"
    };
    Ok(HttpResponse::SeeOther()
        .insert_header(("location", format!("/dashboard/{back}?flash={flash}")))
        .finish())
}
