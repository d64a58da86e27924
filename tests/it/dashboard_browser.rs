//! The dashboard in a real browser (Debian's headless Chromium through chromedriver): sign in through the one-time
//! link the admin bot's `/dashboard` sends, moderate an application, open the charts (drawn by Chart.js from their
//! tables) and the other pages, on a laptop (1280×900) and a phone (390×844), where nothing may be wider than the
//! screen. Screenshots: `target/test-artifacts/browser/dashboard-*.png`.

use std::time::Duration;

use fantoccini::Client;
use serde_json::json;

use crate::app::TestApp;
use crate::dashboard::{ADMIN, apply, partner_status as status};
use crate::helpers::eventually;
use crate::miniapp::{accrue, client, redeem};
use crate::webdriver::{Driver, click, js, screenshot, until, walk_in};

async fn fits(c: &Client, page: &str) {
    let fits = js(
        c,
        "return document.documentElement.scrollWidth <= innerWidth",
    )
    .await;
    assert_eq!(fits, json!(true), "{page} is no wider than the screen");
}

fn dash(lang: fsm::Lang, id: &str) -> String {
    fsm::text::dashboard_text(lang, id, &fsm::text::FluentArgs::new())
}

/// The link the admin bot's `/dashboard` answers with, as the admin would tap it.
async fn link_from_the_admin_bot(app: &TestApp) -> String {
    let before = app.chat("admin", ADMIN).await.len();
    app.send("admin", ADMIN, "/dashboard").await;
    eventually(Duration::from_secs(15), "the admin bot's link", || async {
        let chat = app.chat("admin", ADMIN).await;
        chat.iter().skip(before).find_map(|m| {
            let text = m["text"].as_str()?;
            let href = text.split("href=\"").nth(1)?.split('"').next()?;
            href.contains("/dashboard/login?token=")
                .then(|| href.replace("&amp;", "&"))
        })
    })
    .await
}

/// Signs in through a fresh link, approves the application of `partner`, walks the pages; `tag` names the shots.
async fn walk(app: &TestApp, c: &Client, partner: i64, tag: &str) {
    let link = link_from_the_admin_bot(app).await;
    c.goto(&link).await.expect("login page");
    click(c, "#sign-in").await;
    until(
        c,
        "the overview",
        "return !!document.getElementById('overview')",
    )
    .await;
    fits(c, "overview").await;
    screenshot(c, &format!("dashboard-{tag}-1-overview")).await;

    click(c, "a[href=\"/dashboard/moderation\"]").await;
    let card = format!(".item[data-partner=\"{partner}\"]");
    until(
        c,
        "the application",
        &format!("return !!document.querySelector('{card}')"),
    )
    .await;
    fits(c, "moderation").await;
    screenshot(c, &format!("dashboard-{tag}-2-moderation")).await;
    click(c, &format!("{card} button.approve")).await;
    until(
        c,
        "the outcome",
        "return !!document.getElementById('flash')",
    )
    .await;
    assert_eq!(status(app, partner).await, "approved");
    screenshot(c, &format!("dashboard-{tag}-3-approved")).await;

    click(c, "a[href=\"/dashboard/charts\"]").await;
    until(
        c,
        "the charts drawn",
        "return document.querySelectorAll('section.chart[data-drawn=\"true\"]').length === 5",
    )
    .await;
    fits(c, "charts").await;
    screenshot(c, &format!("dashboard-{tag}-4-charts")).await;

    // Each page with the id of what it shows.
    for (nav, shown, shot) in [
        ("partners", "partners", "5-partners"),
        ("clients", "clients", "6-clients"),
        ("audit", "settlement", "7-audit"),
    ] {
        click(c, &format!("a[href=\"/dashboard/{nav}\"]")).await;
        let script = format!("return !!document.getElementById('{shown}')");
        until(c, nav, &script).await;
        fits(c, nav).await;
        screenshot(c, &format!("dashboard-{tag}-{shot}")).await;
    }
    // The language switch keeps the page and speaks the other language.
    let shown = js(c, "return document.documentElement.lang").await;
    let other = if shown == json!("en") {
        fsm::Lang::Ru
    } else {
        fsm::Lang::En
    };
    click(c, "#lang-switch").await;
    let heading = dash(other, "dash-nav-audit");
    until(
        c,
        "the other language",
        &format!(
            "return document.querySelector('h1').textContent === {}",
            json!(heading)
        ),
    )
    .await;
    screenshot(c, &format!("dashboard-{tag}-8-audit-{}", other.as_str())).await;
    // Signing out ends the session: the pages send to the sign-in page again.
    click(c, "#logout").await;
    until(
        c,
        "signed out",
        "return !!document.getElementById('message-title')",
    )
    .await;
    c.goto(&format!("{}/dashboard/charts", app.base))
        .await
        .expect("charts");
    until(
        c,
        "the sign-in page",
        "return location.pathname === '/dashboard/signin'",
    )
    .await;
}

#[actix_rt::test]
async fn an_admin_signs_in_by_link_moderates_and_reads_the_charts_in_a_real_browser() {
    let app = TestApp::spawn().await;
    let anna = client(&app, 5401).await;
    accrue(&app, anna, 1_999_99, "acc-1").await;
    accrue(&app, anna, 450_00, "acc-2").await;
    let rated = accrue(&app, anna, 700_00, "acc-3").await;
    redeem(&app, anna, 30, "red-1").await;
    actors::db::nps::rate(&app.db, rated, 5401, 9)
        .await
        .expect("rating");
    let laptop_partner = apply(&app, 5402, "Пекарня «Колос»").await;
    let phone_partner = apply(&app, 5403, "Цветы у дома").await;
    let driver = Driver::start().await;
    let app = &app;
    for (width, height, partner) in [(1280, 900, laptop_partner), (390, 844, phone_partner)] {
        let failed = format!("dashboard-{width}-failed");
        walk_in(&driver, width, height, &failed, |c| async move {
            walk(app, &c, partner, &width.to_string()).await;
        })
        .await;
    }
}
