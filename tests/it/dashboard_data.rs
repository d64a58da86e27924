//! What the dashboard shows, against a fixture seeded through the real ledger and queries: the overview, the
//! charts' tables, the partners and clients tables with search and pages, the CSV exports (parsed back with the
//! `csv` crate) and the ledger audit with the settlement report's totals.

use fsm::Lang;
use reqwest::StatusCode;

use crate::app::TestApp;
use crate::dashboard::{Browser, dash_ru};
use crate::miniapp::{accrue, client, ledger, partner, redeem};

/// The body of the table with id `id`.
fn table<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("table {id} in the page"));
    let end = page[start..].find("</table>").expect("table end");
    &page[start..start + end]
}

/// The `data-v` values of the row of table `id` that contains `marker`.
fn row_values(page: &str, id: &str, marker: &str) -> Vec<i64> {
    let t = table(page, id);
    let row = t
        .split("<tr")
        .find(|r| r.contains(marker))
        .unwrap_or_else(|| panic!("a row with {marker} in {id}: {t}"));
    row.split("data-v=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect()
}

#[actix_rt::test]
async fn charts_tables_csv_and_settlement_show_the_figures_of_a_seeded_fixture() {
    let app = TestApp::spawn().await;
    let demo = partner(&app).await;
    let anna = client(&app, 5301).await;
    let boris = client(&app, 5302).await;
    let accruals = [
        (anna, 1_999_99, "acc-1"),
        (anna, 450_00, "acc-2"),
        (boris, 1_000_00, "acc-3"),
    ];
    let mut operations = Vec::new();
    for (who, kopecks, key) in accruals {
        operations.push(accrue(&app, who, kopecks, key).await);
    }
    operations.push(redeem(&app, anna, 30, "red-1").await);
    // A disputed accrual, reversed by an admin: it counts on no page (overview, charts, tables, CSV alike).
    let disputed = accrue(&app, anna, 500_50, "acc-disputed").await;
    ledger(
        &app,
        "rev-disputed",
        actors::ledger::LedgerOp::Reverse {
            operation: fsm::OperationId(disputed),
            admin_id: 1,
            reason: "duplicate receipt".into(),
        },
    )
    .await;
    for (op, telegram_id, score) in [(operations[0], 5301, 10), (operations[2], 5302, 6)] {
        actors::db::nps::rate(&app.db, op, telegram_id, score)
            .await
            .expect("rating");
    }
    let phone = "+79990005302";
    app.db
        .execute(
            "UPDATE clients SET phone = $1 WHERE telegram_id = 5302",
            &[&phone],
        )
        .await
        .expect("phone");
    let issued = 99 + 22 + 50;
    let turnover = 1_999_99 + 450_00 + 1_000_00;
    let mut admin = Browser::new(&app);
    admin.sign_in().await;

    let (_, overview, _) = admin.get("/dashboard/").await;
    let tile = |key: &str| -> i64 {
        overview
            .split(&format!("data-key=\"{key}\""))
            .nth(1)
            .and_then(|tile| {
                tile.split("data-v=\"")
                    .nth(1)?
                    .split('"')
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("tile {key}: {overview}"))
    };
    assert_eq!(tile("clients"), 2);
    assert_eq!(tile("operations"), 4);
    assert_eq!(tile("turnover"), turnover);
    assert_eq!(tile("points_accrued"), issued);
    assert_eq!(tile("points_redeemed"), 30);

    let (_, charts, _) = admin.get("/dashboard/charts").await;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Moscow").expect("tz"))
        .date()
        .to_string();
    let marker = format!("data-date=\"{today}\"");
    assert_eq!(row_values(&charts, "t-turnover", &marker), [turnover]);
    assert_eq!(row_values(&charts, "t-operations", &marker), [4]);
    assert_eq!(row_values(&charts, "t-clients", &marker), [2]);
    assert_eq!(
        table(&charts, "t-turnover")
            .matches("<tr data-date")
            .count(),
        30
    );
    let first_row = table(&charts, "t-turnover")
        .split("<tr data-date=\"")
        .nth(1)
        .expect("a day");
    assert!(
        first_row.starts_with(&today),
        "newest day first: {first_row}"
    );
    assert!(
        table(&charts, "t-turnover")
            .contains(&fsm::text::format::money_kopecks(Lang::Ru, turnover))
    );
    assert_eq!(row_values(&charts, "t-nps", "<th scope=\"row\">10<"), [1]);
    assert_eq!(row_values(&charts, "t-nps", "<th scope=\"row\">6<"), [1]);
    assert_eq!(row_values(&charts, "t-nps", "<th scope=\"row\">7<"), [0]);
    let company = loyalty::server::DEMO_PARTNER_NAME;
    assert_eq!(row_values(&charts, "t-top", company), [turnover]);

    let (_, partners, _) = admin
        .get("/dashboard/partners?q=%D0%97%D0%B5%D1%80%D0%BD")
        .await;
    let row = table(&partners, "partners");
    assert!(row.contains(company), "found by a part of the name: {row}");
    assert!(row.contains(&fsm::text::format::money_kopecks(Lang::Ru, turnover)));
    let (_, none, _) = admin.get("/dashboard/partners?q=nothing-like-it").await;
    assert!(none.contains(&dash_ru("dash-nothing-found")));

    let code: String = app
        .db
        .query_one("SELECT member_code FROM clients WHERE id = $1", &[&boris.0])
        .await
        .expect("code")
        .get(0);
    let (_, clients, _) = admin
        .get(&format!("/dashboard/clients?q={}", code.to_lowercase()))
        .await;
    let rows = table(&clients, "clients");
    assert_eq!(rows.matches("<tr data-id").count(), 1, "{rows}");
    assert!(rows.contains(phone));

    let (code_status, csv_body, _) = admin.get("/dashboard/clients.csv").await;
    assert_eq!(code_status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(without_bom(&csv_body).as_bytes());
    let header = reader.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    assert_eq!(records.len(), 2);
    let boris_row = records
        .iter()
        .find(|r| r[col("id")] == boris.0.to_string())
        .expect("boris");
    assert_eq!(
        &boris_row[col("phone")],
        format!("'{phone}"),
        "a phone stays text"
    );
    assert_eq!(&boris_row[col("balance_points")], (100 + 50).to_string());
    let anna_row = records
        .iter()
        .find(|r| r[col("id")] == anna.0.to_string())
        .expect("anna");
    assert_eq!(
        &anna_row[col("balance_points")],
        (100 + 99 + 22 - 30).to_string()
    );
    assert_eq!(&anna_row[col("referred_by")], company);

    let (_, csv_body, _) = admin.get("/dashboard/partners.csv").await;
    let mut reader = csv::Reader::from_reader(without_bom(&csv_body).as_bytes());
    let header = reader.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    let demo_row = records
        .iter()
        .find(|r| r[col("id")] == demo.0.to_string())
        .expect("demo");
    assert_eq!(&demo_row[col("turnover_kopecks")], turnover.to_string());
    assert_eq!(&demo_row[col("operations")], "4");
    assert_eq!(&demo_row[col("clients")], "2");

    let (_, audit, _) = admin.get("/dashboard/audit").await;
    assert!(audit.contains(&dash_ru("dash-ledger-clean")), "{audit}");
    assert!(
        audit.contains(&dash_ru("dash-invariant-wallets-not-negative")),
        "in the admin's language"
    );
    assert_eq!(
        table(&audit, "invariants").matches("data-v=\"0\"").count(),
        actors::ledger::audit::INVARIANT_COUNT,
        "every invariant holds"
    );
    assert_eq!(
        row_values(&audit, "settlement", "id=\"settlement-total\""),
        [issued, 30, issued - 30]
    );
    assert_eq!(
        row_values(
            &audit,
            "settlement",
            &format!("data-partner=\"{}\"", demo.0)
        ),
        [issued, 30, issued - 30]
    );
}

#[actix_rt::test]
async fn the_clients_table_pages_by_twenty_and_keeps_the_search_in_its_links() {
    let app = TestApp::spawn().await;
    for i in 0..23 {
        let name = if i % 2 == 0 { "Вера" } else { "Олег" };
        actors::db::clients::upsert_client_by_telegram(&app.db, 5500 + i, Some(name), None)
            .await
            .expect("client");
    }
    let mut admin = Browser::new(&app);
    admin.sign_in().await;
    let rows = |page: &str| table(page, "clients").matches("<tr data-id").count();
    let (_, first, _) = admin.get("/dashboard/clients").await;
    assert_eq!(rows(&first), 20);
    assert!(first.contains("href=\"?q=&amp;page=2\""), "a next page");
    let (_, second, _) = admin.get("/dashboard/clients?page=2").await;
    assert_eq!(rows(&second), 3);
    assert!(!second.contains("page=3"), "the last page");
    // 12 of them are «Вера»: one page, and the pager keeps the search.
    let (_, vera, _) = admin
        .get("/dashboard/clients?q=%D0%92%D0%B5%D1%80%D0%B0")
        .await;
    assert_eq!(rows(&vera), 12);
    // Past the end (an old bookmark): sent to the last page, the search kept, not an empty "page 9 of 1".
    let (status, _, to) = admin
        .get("/dashboard/clients?q=%D0%92%D0%B5%D1%80%D0%B0&page=9")
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to = to.expect("a Location");
    assert_eq!(to, "clients?q=%D0%92%D0%B5%D1%80%D0%B0&page=1");
    let (_, last, _) = admin.get(&format!("/dashboard/{to}")).await;
    assert_eq!(rows(&last), 12);
    let (status, _, to) = admin.get("/dashboard/clients?page=3").await;
    assert_eq!(
        (status, to.as_deref()),
        (StatusCode::SEE_OTHER, Some("clients?q=&page=2"))
    );
    let (_, csv_body, _) = admin
        .get("/dashboard/clients.csv?q=%D0%9E%D0%BB%D0%B5%D0%B3")
        .await;
    let records = csv::Reader::from_reader(without_bom(&csv_body).as_bytes())
        .records()
        .count();
    assert_eq!(
        records, 11,
        "the export has every row the search matches, not a page"
    );
}

/// The CSV without the UTF-8 byte-order mark the dashboard puts first for Excel (asserted present).
fn without_bom(body: &str) -> &str {
    body.strip_prefix('\u{feff}')
        .expect("a CSV starts with a UTF-8 BOM")
}
