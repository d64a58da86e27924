//! The admins' web dashboard over HTTP: sign-in by a one-time link (once, not after it expires, not for a
//! non-admin), every page and action refused without a session, every POST refused without the session's CSRF
//! token, and nothing changed by a refused request (checked in the database).

use std::time::Duration;

use fsm::Lang;
use fsm::partner::ApplicationForm;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::app::TestApp;

/// The sandbox's admin (`telegram.admin_ids` is empty in the tests' settings).
pub const ADMIN: i64 = loyalty::server::DEMO_ADMIN_ID;

/// Every page a signed-in admin can open.
const PAGES: [&str; 8] = [
    "/dashboard/",
    "/dashboard/charts",
    "/dashboard/moderation",
    "/dashboard/partners",
    "/dashboard/clients",
    "/dashboard/audit",
    "/dashboard/partners.csv",
    "/dashboard/clients.csv",
];

/// A browser's view of the dashboard: no redirects followed, the session cookie kept by hand.
pub struct Browser<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    pub cookie: Option<String>,
    pub csrf: String,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("client"),
            cookie: None,
            csrf: String::new(),
        }
    }

    fn with_cookie(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(c) => r.header("cookie", format!("loyalty_dash={c}")),
            None => r,
        }
    }

    /// Sends with the session cookie; the answer's status, body and `Location`.
    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, String, Option<String>) {
        let r = self
            .with_cookie(request)
            .send()
            .await
            .expect("dashboard reachable");
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().expect("ascii").to_owned());
        (r.status(), r.text().await.expect("body"), location)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String, Option<String>) {
        self.send(self.http.get(format!("{}{path}", self.app.base)))
            .await
    }

    /// POSTs a form; the answer's status, body and `Location`.
    pub async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        self.send(
            self.http
                .post(format!("{}{path}", self.app.base))
                .form(form),
        )
        .await
    }

    /// Redeems `token` as the "Sign in" button does; keeps the session cookie it sets.
    pub async fn sign_in_with(&mut self, token: &str) -> StatusCode {
        let r = self
            .http
            .post(format!("{}/dashboard/login", self.app.base))
            .form(&[("token", token)])
            .send()
            .await
            .expect("dashboard reachable");
        let set = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("loyalty_dash="))
            .map(str::to_owned);
        if let Some(set) = set {
            for attr in ["HttpOnly", "SameSite=Strict", "Path=/dashboard/"] {
                assert!(set.contains(attr), "{attr} in {set}");
            }
            assert!(!set.contains("Secure"), "plain http on loopback: {set}");
            let value = set["loyalty_dash=".len()..]
                .split(';')
                .next()
                .expect("value");
            self.cookie = Some(value.to_owned());
            let (status, page, _) = self.get("/dashboard/").await;
            assert_eq!(status, StatusCode::OK, "{page}");
            self.csrf = page
                .split("name=\"csrf\" value=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .expect("a CSRF token in the page")
                .to_owned();
        }
        r.status()
    }

    /// Signs in as the sandbox's admin through a fresh one-time link.
    pub async fn sign_in(&mut self) {
        let token = issue(self.app, ADMIN, 300).await;
        assert_eq!(self.sign_in_with(&token).await, StatusCode::SEE_OTHER);
        assert!(self.cookie.is_some(), "a session cookie");
    }
}

/// A dashboard text in Russian (the tests' requests send no `Accept-Language`).
pub fn dash_ru(id: &str) -> String {
    fsm::text::dashboard_text(Lang::Ru, id, &fsm::text::FluentArgs::new())
}

/// A one-time login link's token for `admin`, issued as the admin bot's `/dashboard` does.
pub async fn issue(app: &TestApp, admin: i64, ttl_s: u64) -> String {
    let store = &app.running.bots.as_ref().expect("bots").store;
    actors::dashboard_login::issue(store, admin, ttl_s)
        .await
        .expect("token")
}

/// A pending application from Telegram user `telegram_id`, submitted as the partner bot does; its `partners.id`.
pub async fn apply(app: &TestApp, telegram_id: i64, company: &str) -> i64 {
    let mut db = app.running.services.pg.get().await.expect("pool");
    let form = ApplicationForm {
        contact: "Ирина".into(),
        company: company.into(),
        phone: fsm::Phone::parse(&format!("+7999{telegram_id:07}")).ok(),
        city: "Казань".into(),
        category: "Кафе и рестораны".into(),
    };
    let draft = format!("{:032x}", telegram_id);
    actors::db::applications::submit(&mut db, telegram_id, Lang::Ru, &draft, &form, &[ADMIN])
        .await
        .expect("application");
    app.db
        .query_one(
            "SELECT id FROM partners WHERE telegram_id = $1",
            &[&telegram_id],
        )
        .await
        .expect("partner")
        .get(0)
}

pub async fn partner_status(app: &TestApp, partner: i64) -> String {
    app.db
        .query_one("SELECT status FROM partners WHERE id = $1", &[&partner])
        .await
        .expect("partner")
        .get(0)
}

#[actix_rt::test]
async fn without_a_session_every_page_sends_to_sign_in_and_every_post_is_refused() {
    let app = TestApp::spawn().await;
    let partner = apply(&app, 5101, "Пекарня «Колос»").await;
    let mut anonymous = Browser::new(&app);
    for cookie in [None, Some("forged-session-id".to_owned())] {
        anonymous.cookie = cookie;
        for page in PAGES {
            let (status, _, location) = anonymous.get(page).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
            assert_eq!(location.as_deref(), Some("/dashboard/signin"), "{page}");
        }
        let paths = [
            format!("/dashboard/moderation/application/{partner}"),
            "/dashboard/moderation/service/1".to_owned(),
            "/dashboard/logout".to_owned(),
        ];
        for path in &paths {
            let (status, body, _) = anonymous
                .post(path, &[("csrf", "x"), ("verdict", "approve")])
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
            assert!(body.contains("/dashboard"), "says how to sign in: {body}");
        }
    }
    let (status, body, _) = anonymous.get("/dashboard/signin").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("/dashboard"), "{body}");
    assert_eq!(
        partner_status(&app, partner).await,
        "pending",
        "nothing changed"
    );
}

#[actix_rt::test]
async fn a_post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let partner = apply(&app, 5102, "Пекарня «Колос»").await;
    let mut admin = Browser::new(&app);
    admin.sign_in().await;
    let path = format!("/dashboard/moderation/application/{partner}");
    let wrong = "0".repeat(admin.csrf.len());
    for form in [
        vec![("verdict", "approve")],
        vec![("csrf", ""), ("verdict", "approve")],
        vec![("csrf", wrong.as_str()), ("verdict", "approve")],
    ] {
        let (status, _, _) = admin.post(&path, &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{form:?}");
    }
    assert_eq!(partner_status(&app, partner).await, "pending");
    let audit: i64 = app
        .db
        .query_one("SELECT count(*) FROM admin_audit_log", &[])
        .await
        .expect("audit")
        .get(0);
    assert_eq!(audit, 0, "no decision recorded");
    // Logout is a POST too: without the token the session lives on.
    let (status, _, _) = admin.post("/dashboard/logout", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(admin.get("/dashboard/").await.0, StatusCode::OK);
    // With it, the session ends: the cookie no longer opens anything.
    let csrf = admin.csrf.clone();
    let (status, _, location) = admin.post("/dashboard/logout", &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/dashboard/signin?out=1"));
    assert_eq!(admin.get("/dashboard/").await.0, StatusCode::SEE_OTHER);
}

#[actix_rt::test]
async fn a_login_link_works_once_and_neither_an_expired_nor_a_non_admins_link_opens_a_session() {
    let app = TestApp::spawn().await;
    let token = issue(&app, ADMIN, 300).await;
    let mut first = Browser::new(&app);
    // Opening the link (a link preview, a prefetcher) only shows the button: the token still works after it.
    for _ in 0..2 {
        let (status, page, _) = first.get(&format!("/dashboard/login?token={token}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&format!("value=\"{token}\"")), "{page}");
    }
    assert_eq!(first.sign_in_with(&token).await, StatusCode::SEE_OTHER);
    assert!(first.cookie.is_some());
    let mut second = Browser::new(&app);
    assert_eq!(
        second.sign_in_with(&token).await,
        StatusCode::UNAUTHORIZED,
        "used once already"
    );
    assert!(second.cookie.is_none(), "no session");

    let expiring = issue(&app, ADMIN, 1).await;
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let mut late = Browser::new(&app);
    assert_eq!(late.sign_in_with(&expiring).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        late.sign_in_with(&"ab".repeat(32)).await,
        StatusCode::UNAUTHORIZED,
        "unknown"
    );
    assert!(late.cookie.is_none());

    let stranger = issue(&app, 4242, 300).await;
    let mut outsider = Browser::new(&app);
    assert_eq!(
        outsider.sign_in_with(&stranger).await,
        StatusCode::FORBIDDEN
    );
    assert!(outsider.cookie.is_none(), "no session for a non-admin");
}
