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
    cfg.route("/{table:(partners|clients)}", web::get().to(table))
        .route("/{table:(partners|clients)}.csv", web::get().to(export));
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

/// Pages of `total` rows: at least one, so an empty table still shows "page 1 of 1".
fn page_count(total: i64) -> i64 {
    ((total + PAGE_ROWS - 1) / PAGE_ROWS).max(1)
}

/// The pager's values: this page, how many, and the search to keep in its links.
fn pager(query: &TableQuery, total: i64) -> Value {
    context! { page => query.page(), pages => page_count(total), total => total, q => query.q.clone() }
}

/// A page past the last one (an old bookmark, a hand-edited link, rows gone since) goes to the last page, with its
/// search kept, rather than showing "page 999 of 3" over an empty table.
fn past_the_end(name: &str, query: &TableQuery, total: i64) -> Option<HttpResponse> {
    let last = page_count(total);
    (query.page() > last).then(|| {
        let search: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &query.q)
            .append_pair("page", &last.to_string())
            .finish();
        HttpResponse::SeeOther()
            .insert_header(("location", format!("{name}?{search}")))
            .finish()
    })
}

fn day(dash: &Dashboard, at: SystemTime) -> String {
    actors::db::stats::network_day(at, &dash.time_zone).unwrap_or_default()
}

/// A table's rows for its template, each with `since`: its day in the network calendar.
fn with_day<T: serde::Serialize>(
    dash: &Dashboard,
    rows: &[T],
    created: impl Fn(&T) -> SystemTime,
) -> Vec<Value> {
    rows.iter()
        .map(|r| context! { since => day(dash, created(r)), ..Value::from(Serde(r)) })
        .collect()
}

/// `/partners` or `/clients`: a page of the table the path names (template `<name>.html`).
async fn table(
    req: HttpRequest,
    dash: web::Data<Dashboard>,
    admin: Admin,
    name: web::Path<String>,
    query: web::Query<TableQuery>,
) -> Result<HttpResponse, DashError> {
    let db = dash.db().await?;
    let (q, offset) = (query.q.as_str(), query.offset());
    let (rows, total) = if name.as_str() == "partners" {
        let found = directory::partners(&**db, q, offset, PAGE_ROWS).await;
        let found = found.map_err(DashError::pg)?;
        (with_day(&dash, &found.rows, |r| r.created_at), found.total)
    } else {
        let found = directory::clients(&**db, q, offset, PAGE_ROWS).await;
        let found = found.map_err(DashError::pg)?;
        (with_day(&dash, &found.rows, |r| r.created_at), found.total)
    };
    if let Some(redirect) = past_the_end(&name, &query, total) {
        return Ok(redirect);
    }
    let extra = context! { rows => rows, pager => pager(&query, total) };
    Ok(page(&admin, &req, &format!("{name}.html"), &name, extra))
}

/// A cell as written to the CSV: with a leading `'` when a spreadsheet would take it for a formula.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn csv_response(name: &str, header: &[&str], rows: Vec<Vec<String>>) -> HttpResponse {
    // Every field quoted: a spreadsheet that splits on `;` (Russian Excel) keeps `a;=cmd` in one cell, which the
    // guard above then covers by its first character. A byte-order mark so Excel reads the file as UTF-8.
    let mut out = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
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

/// The partners CSV's columns.
const PARTNER_COLUMNS: [&str; 12] = [
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

/// The clients CSV's columns.
const CLIENT_COLUMNS: [&str; 9] = [
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

fn partner_record(dash: &Dashboard, p: &directory::PartnerRow) -> Vec<String> {
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
        day(dash, p.created_at),
    ]
}

fn client_record(dash: &Dashboard, c: &directory::ClientRow) -> Vec<String> {
    vec![
        c.id.to_string(),
        c.member_code.clone(),
        opt(&c.first_name),
        opt(&c.phone),
        c.phone_verified.to_string(),
        c.in_telegram.to_string(),
        opt(&c.referred_by),
        c.balance.to_string(),
        day(dash, c.created_at),
    ]
}

/// `/partners.csv` or `/clients.csv`: every row the search matches (at most [`CSV_ROWS_MAX`]).
async fn export(
    dash: web::Data<Dashboard>,
    _admin: Admin,
    name: web::Path<String>,
    query: web::Query<TableQuery>,
) -> Result<HttpResponse, DashError> {
    let db = dash.db().await?;
    let q = query.q.as_str();
    Ok(match name.as_str() {
        "partners" => {
            let found = directory::partners(&**db, q, 0, CSV_ROWS_MAX)
                .await
                .map_err(DashError::pg)?;
            let rows = found.rows.iter().map(|p| partner_record(&dash, p));
            csv_response("partners.csv", &PARTNER_COLUMNS, rows.collect())
        }
        _ => {
            let found = directory::clients(&**db, q, 0, CSV_ROWS_MAX)
                .await
                .map_err(DashError::pg)?;
            let rows = found.rows.iter().map(|c| client_record(&dash, c));
            csv_response("clients.csv", &CLIENT_COLUMNS, rows.collect())
        }
    })
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
