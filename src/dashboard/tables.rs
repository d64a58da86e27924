//! The partners and clients tables: search (`?q=`: name, phone, member code), pages of [`PAGE_ROWS`] (`?page=`,
//! from 1) and the CSV export of everything the search matches (`/partners.csv?q=`, `/clients.csv?q=`).
//!
//! The CSV is written by the `csv` crate (RFC 4180 quoting). A cell that a spreadsheet would read as a formula
//! (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, so a company name cannot run
//! a formula on the admin's machine, and phone numbers (`'+79991234567`) stay text instead of becoming numbers.
//! Money is in integer kopecks, points are integers.

use std::time::SystemTime;

use actix_web::{HttpRequest, HttpResponse, web};
use actors::db::directory;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Deserialize;

use super::{Admin, DashError, Dashboard, page};

/// Rows in a page of a table.
pub(crate) const PAGE_ROWS: i64 = 20;
/// The most rows a CSV export writes.
const CSV_ROWS_MAX: i64 = 100_000;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/partners", web::get().to(partners))
        .route("/partners.csv", web::get().to(partners_csv))
        .route("/clients", web::get().to(clients))
        .route("/clients.csv", web::get().to(clients_csv));
}

#[derive(Deserialize)]
struct TableQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<i64>,
}

impl TableQuery {
    fn page(&self) -> i64 {
        self.page.unwrap_or(1).clamp(1, i64::from(i32::MAX))
    }

    fn offset(&self) -> i64 {
        (self.page() - 1) * PAGE_ROWS
    }
}

/// The pager's values: this page, how many, and the search to keep in its links.
fn pager(query: &TableQuery, total: i64) -> Value {
    let pages = ((total + PAGE_ROWS - 1) / PAGE_ROWS).max(1);
    context! { page => query.page(), pages => pages, total => total, q => query.q.clone() }
}

fn day(dash: &Dashboard, at: SystemTime) -> String {
    actors::db::stats::network_day(at, &dash.time_zone).unwrap_or_default()
}

async fn partners(
    req: HttpRequest,
    dash: web::Data<Dashboard>,
    admin: Admin,
    query: web::Query<TableQuery>,
) -> Result<HttpResponse, DashError> {
    let db = dash.db().await?;
    let found = directory::partners(&**db, &query.q, query.offset(), PAGE_ROWS)
        .await
        .map_err(DashError::pg)?;
    let rows: Vec<Value> = found
        .rows
        .iter()
        .map(|p| context! { since => day(&dash, p.created_at), ..Value::from(Serde(p)) })
        .collect();
    let extra = context! { rows => rows, pager => pager(&query, found.total) };
    Ok(page(&admin, &req, "partners.html", "partners", extra))
}

async fn clients(
    req: HttpRequest,
    dash: web::Data<Dashboard>,
    admin: Admin,
    query: web::Query<TableQuery>,
) -> Result<HttpResponse, DashError> {
    let db = dash.db().await?;
    let found = directory::clients(&**db, &query.q, query.offset(), PAGE_ROWS)
        .await
        .map_err(DashError::pg)?;
    let rows: Vec<Value> = found
        .rows
        .iter()
        .map(|c| context! { since => day(&dash, c.created_at), ..Value::from(Serde(c)) })
        .collect();
    let extra = context! { rows => rows, pager => pager(&query, found.total) };
    Ok(page(&admin, &req, "clients.html", "clients", extra))
}

/// A cell as written to the CSV: with a leading `'` when a spreadsheet would take it for a formula.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn csv_response(name: &str, header: &[&str], rows: Vec<Vec<String>>) -> HttpResponse {
    let mut out = csv::Writer::from_writer(Vec::new());
    let written = std::iter::once(header.iter().map(|h| (*h).to_owned()).collect())
        .chain(rows)
        .try_for_each(|row: Vec<String>| out.write_record(row.iter().map(|c| cell(c))));
    match (written, out.into_inner()) {
        (Ok(()), Ok(body)) => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "content-disposition",
                format!("attachment; filename=\"{name}\""),
            ))
            .insert_header(("cache-control", "no-store"))
            .body(body),
        _ => {
            tracing::error!("dashboard: CSV not written");
            HttpResponse::InternalServerError().finish()
        }
    }
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

async fn partners_csv(
    dash: web::Data<Dashboard>,
    _admin: Admin,
    query: web::Query<TableQuery>,
) -> Result<HttpResponse, DashError> {
    let db = dash.db().await?;
    let found = directory::partners(&**db, &query.q, 0, CSV_ROWS_MAX)
        .await
        .map_err(DashError::pg)?;
    let rows = found
        .rows
        .iter()
        .map(|p| {
            vec![
                p.id.to_string(),
                p.company.clone(),
                p.contact.clone(),
                opt(&p.phone),
                opt(&p.city),
                opt(&p.category),
                p.status.clone(),
                p.cashback_bp.to_string(),
                p.clients.to_string(),
                p.operations.to_string(),
                p.turnover_kopecks.to_string(),
                day(&dash, p.created_at),
            ]
        })
        .collect();
    let header = [
        "id",
        "company",
        "contact",
        "phone",
        "city",
        "category",
        "status",
        "cashback_bp",
        "clients",
        "operations",
        "turnover_kopecks",
        "since",
    ];
    Ok(csv_response("partners.csv", &header, rows))
}

async fn clients_csv(
    dash: web::Data<Dashboard>,
    _admin: Admin,
    query: web::Query<TableQuery>,
) -> Result<HttpResponse, DashError> {
    let db = dash.db().await?;
    let found = directory::clients(&**db, &query.q, 0, CSV_ROWS_MAX)
        .await
        .map_err(DashError::pg)?;
    let rows = found
        .rows
        .iter()
        .map(|c| {
            vec![
                c.id.to_string(),
                c.member_code.clone(),
                opt(&c.first_name),
                opt(&c.phone),
                c.phone_verified.to_string(),
                c.in_telegram.to_string(),
                opt(&c.referred_by),
                c.balance.to_string(),
                day(&dash, c.created_at),
            ]
        })
        .collect();
    let header = [
        "id",
        "member_code",
        "first_name",
        "phone",
        "phone_verified",
        "in_telegram",
        "referred_by",
        "balance_points",
        "since",
    ];
    Ok(csv_response("clients.csv", &header, rows))
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_a_spreadsheet_would_run_are_quoted_as_text() {
        for (raw, written) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+79991234567", "'+79991234567"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("Кофейня", "Кофейня"),
            ("", ""),
        ] {
            assert_eq!(cell(raw), written);
        }
    }
}
