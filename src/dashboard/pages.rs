//! The read-only pages: the overview (the network's key numbers), the charts, and the ledger audit (the
//! `check-ledger` invariants and the settlement report per partner).

use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::value::Serde;
use minijinja::{Value, context};

use actors::db::reports;
use fsm::text::{FluentArgs, dashboard_has, dashboard_text};

use super::{Admin, DashError, Dashboard, page};

/// Days the charts cover, today included, in the network's calendar.
pub(crate) const CHART_DAYS: u16 = 30;
/// Partners in the "top partners" chart.
const TOP_PARTNERS: i64 = 10;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(overview))
        .route("/charts", web::get().to(charts))
        .route("/audit", web::get().to(audit));
}

async fn overview(
    req: HttpRequest,
    dash: web::Data<Dashboard>,
    admin: Admin,
) -> Result<HttpResponse, DashError> {
    let db = dash.db().await?;
    let now = jiff::Timestamp::now();
    let stats = actors::db::admin::network_stats(&**db, now, &dash.time_zone)
        .await
        .map_err(DashError::pg)?;
    let queue = actors::moderation::queue(&**db, super::moderation::QUEUE_MAX)
        .await
        .map_err(DashError::pg)?;
    let extra = context! { stats => Value::from(Serde(&stats)), nps => stats.nps(),
    operations => stats.accruals + stats.redemptions,
    pending_applications => queue.applications.len(), pending_services => queue.services.len() };
    Ok(page(&admin, &req, "overview.html", "overview", extra))
}

/// A day as the charts label it: `29.11`.
fn short_day(date: &str) -> String {
    let mut parts = date.split('-').skip(1);
    match (parts.next(), parts.next()) {
        (Some(month), Some(day)) => format!("{day}.{month}"),
        _ => date.to_owned(),
    }
}

async fn charts(
    req: HttpRequest,
    dash: web::Data<Dashboard>,
    admin: Admin,
) -> Result<HttpResponse, DashError> {
    let db = dash.db().await?;
    let now = jiff::Timestamp::now();
    let days = reports::daily(&**db, now, &dash.time_zone, CHART_DAYS)
        .await
        .map_err(DashError::pg)?;
    let nps = reports::nps_distribution(&**db)
        .await
        .map_err(DashError::pg)?;
    let top = reports::top_partners(&**db, now, &dash.time_zone, CHART_DAYS, TOP_PARTNERS)
        .await
        .map_err(DashError::pg)?;
    let days: Vec<Value> = days
        .iter()
        .map(|d| {
            context! { date => d.date.clone(), label => short_day(&d.date), turnover_kopecks => d.turnover_kopecks,
            operations => d.operations, new_clients => d.new_clients }
        })
        .collect();
    let scores: Vec<Value> = nps
        .counts
        .iter()
        .enumerate()
        .map(|(score, count)| context! { score => score, count => count })
        .collect();
    let extra = context! { days => days, chart_days => CHART_DAYS, nps => Value::from(Serde(&nps)),
    scores => scores, top => Value::from(Serde(&top)) };
    Ok(page(&admin, &req, "charts.html", "charts", extra))
}

async fn audit(
    req: HttpRequest,
    dash: web::Data<Dashboard>,
    admin: Admin,
) -> Result<HttpResponse, DashError> {
    let db = dash.db().await?;
    let checks = actors::ledger::audit::check(&db)
        .await
        .map_err(DashError::pg)?;
    let settlement = reports::settlement(&**db).await.map_err(DashError::pg)?;
    let clean = checks.iter().all(|c| c.violations == 0);
    let checks: Vec<Value> = checks
        .iter()
        .map(|c| {
            // The invariant's sentence in the admin's language; the audit's own English one for a new invariant
            // not yet in the catalogue.
            let id = format!("dash-invariant-{}", c.name.replace('_', "-"));
            let description = if dashboard_has(admin.lang, &id) {
                dashboard_text(admin.lang, &id, &FluentArgs::new())
            } else {
                c.description.to_owned()
            };
            context! { name => c.name, description => description, violations => c.violations }
        })
        .collect();
    let extra = context! { checks => checks, clean => clean,
    settlement => Value::from(Serde(&settlement)) };
    Ok(page(&admin, &req, "audit.html", "audit", extra))
}
