//! Moderation from the dashboard: approve and reject an application, approve a service; the status changes, the
//! partner is told through the partner bot (the emulator's chat), a repeated press changes nothing, each decision
//! leaves one audit row.

use fsm::Lang;
use reqwest::StatusCode;

use crate::app::TestApp;
use crate::dashboard::{Browser, apply, dash_ru, partner_status as status};
use crate::miniapp::partner;

async fn partner_notices(app: &TestApp, telegram_id: i64, n: usize) -> Vec<String> {
    app.bot_messages("partner", telegram_id, n)
        .await
        .into_iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[actix_rt::test]
async fn approve_and_reject_from_the_dashboard_change_the_status_and_tell_the_partner() {
    let app = TestApp::spawn().await;
    let colos = apply(&app, 5201, "Пекарня «Колос»").await;
    let flora = apply(&app, 5202, "Цветы у дома").await;
    let mut admin = Browser::new(&app);
    admin.sign_in().await;
    let (_, queue, _) = admin.get("/dashboard/moderation").await;
    for (id, company) in [(colos, "Пекарня «Колос»"), (flora, "Цветы у дома")]
    {
        assert!(queue.contains(&format!("data-partner=\"{id}\"")), "{queue}");
        assert!(queue.contains(company), "{company}");
    }
    let csrf = admin.csrf.clone();
    let (code, _, location) = admin
        .post(
            &format!("/dashboard/moderation/application/{colos}"),
            &[("csrf", &csrf), ("verdict", "approve"), ("reason", "")],
        )
        .await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some("/dashboard/moderation?flash=approved")
    );
    assert_eq!(status(&app, colos).await, "approved");
    let approved =
        fsm::partner::onboarding::decision_notice(Lang::Ru, "Пекарня «Колос»", true, None);
    assert_eq!(partner_notices(&app, 5201, 1).await, [approved.html]);

    let (_, page, _) = admin.get("/dashboard/moderation?flash=approved").await;
    assert!(page.contains(&dash_ru("dash-flash-approved")), "{page}");
    assert!(
        !page.contains(&format!("data-partner=\"{colos}\"")),
        "decided: off the queue"
    );

    let (code, _, location) = admin
        .post(
            &format!("/dashboard/moderation/application/{flora}"),
            &[
                ("csrf", &csrf),
                ("verdict", "reject"),
                ("reason", "Нет адреса"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some("/dashboard/moderation?flash=rejected")
    );
    assert_eq!(status(&app, flora).await, "rejected");
    let rejected = fsm::partner::onboarding::decision_notice(
        Lang::Ru,
        "Цветы у дома",
        false,
        Some("Нет адреса"),
    );
    assert_eq!(partner_notices(&app, 5202, 1).await, [rejected.html]);
    // Pressing again changes nothing and tells nobody twice.
    let (_, _, location) = admin
        .post(
            &format!("/dashboard/moderation/application/{flora}"),
            &[("csrf", &csrf), ("verdict", "reject"), ("reason", "")],
        )
        .await;
    assert_eq!(
        location.as_deref(),
        Some("/dashboard/moderation?flash=unchanged")
    );
    // A partner's service, likewise.
    let demo = partner(&app).await;
    let service: i64 = app
        .db
        .query_one(
            "INSERT INTO services (partner_id, title, description, price_points)
             VALUES ($1, 'Капучино', 'Любой размер', 90) RETURNING id",
            &[&demo.0],
        )
        .await
        .expect("service")
        .get(0);
    let (_, queue, _) = admin.get("/dashboard/moderation").await;
    assert!(
        queue.contains(&format!("data-service=\"{service}\"")),
        "{queue}"
    );
    let (_, _, location) = admin
        .post(
            &format!("/dashboard/moderation/service/{service}"),
            &[("csrf", &csrf), ("verdict", "approve")],
        )
        .await;
    assert_eq!(
        location.as_deref(),
        Some("/dashboard/moderation?flash=approved")
    );
    let approved = fsm::partner::services::decision_notice(Lang::Ru, "Капучино", true, None);
    assert_eq!(
        partner_notices(&app, loyalty::server::DEMO_PARTNER_ID, 1).await,
        [approved.html]
    );
    let audit: i64 = app
        .db
        .query_one(
            "SELECT count(*) FROM admin_audit_log WHERE admin_id = $1",
            &[&crate::dashboard::ADMIN],
        )
        .await
        .expect("audit")
        .get(0);
    assert_eq!(audit, 3, "one audit row per decision");
}

#[actix_rt::test]
async fn a_decided_partner_can_be_decided_again_from_the_partners_table() {
    let app = TestApp::spawn().await;
    let demo = partner(&app).await;
    let mut admin = Browser::new(&app);
    admin.sign_in().await;
    let (_, partners, _) = admin.get("/dashboard/partners").await;
    let action = format!("action=\"/dashboard/moderation/application/{}\"", demo.0);
    assert!(partners.contains(&action), "{partners}");
    let csrf = admin.csrf.clone();
    let (_, _, location) = admin
        .post(
            &format!("/dashboard/moderation/application/{}", demo.0),
            &[
                ("csrf", &csrf),
                ("verdict", "reject"),
                ("reason", "Жалобы клиентов"),
                ("back", "partners"),
            ],
        )
        .await;
    assert_eq!(
        location.as_deref(),
        Some("/dashboard/partners?flash=rejected")
    );
    assert_eq!(status(&app, demo.0).await, "rejected");
    let company = loyalty::server::DEMO_PARTNER_NAME;
    let told = fsm::partner::onboarding::decision_notice(
        Lang::Ru,
        company,
        false,
        Some("Жалобы клиентов"),
    );
    assert_eq!(
        partner_notices(&app, loyalty::server::DEMO_PARTNER_ID, 1).await,
        [told.html]
    );
    let (_, page, _) = admin.get("/dashboard/partners?flash=rejected").await;
    assert!(page.contains(&dash_ru("dash-flash-rejected")));
    assert!(page.contains(&dash_ru("dash-status-rejected")));
    // Anything but a deciding page in `back` shows the outcome on the queue, never elsewhere.
    let (_, _, location) = admin
        .post(
            &format!("/dashboard/moderation/application/{}", demo.0),
            &[
                ("csrf", &csrf),
                ("verdict", "approve"),
                ("back", "https://evil.example"),
            ],
        )
        .await;
    assert_eq!(
        location.as_deref(),
        Some("/dashboard/moderation?flash=approved")
    );
    assert_eq!(status(&app, demo.0).await, "approved");
}
