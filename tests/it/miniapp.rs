//! The Mini App's JSON API on the whole product (sandbox, real Postgres): initData signed by an independent
//! implementation (`@telegram-apps/init-data-node`, run with node from `tests/node/`) is accepted; any tampered
//! field, another bot's token, an expired `auth_date` or a missing hash is a 401 that shows nothing; a client only
//! ever sees their own data; history pages, filters and totals match a seeded ledger.

use std::path::PathBuf;
use std::process::Command;

use actors::{IdempotencyKey, LedgerCommand, LedgerOp, LedgerOutcome};
use fsm::text::MiniAppText;
use fsm::{CashbackRate, ClientId, Kopecks, PartnerId, Points};
use serde_json::{Value, json};

use crate::app::TestApp;
use crate::helpers::{en, ru};

/// The client bot's token on the sandbox: the key the product checks initData with.
const CLIENT_TOKEN: &str = "sandbox-client";

fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node")
}

/// Installs the independent signer once (`npm ci`, under a lock: nextest runs tests in parallel processes). The
/// marker is written after `npm ci` finished: the package's directory appears early in an install, and a test that
/// took it for done ran node on a half-written package.
fn install_signer() {
    let dir = node_dir();
    if dir.join("node_modules/.signer-installed").exists() {
        return;
    }
    let status = Command::new("flock")
        .arg(dir.join(".install.lock"))
        .args([
            "sh",
            "-c",
            "[ -f node_modules/.signer-installed ] || \
             { npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.signer-installed; }",
        ])
        .current_dir(&dir)
        .status()
        .expect("flock and npm: install node and npm (apt-get install -y nodejs npm)");
    assert!(status.success(), "npm ci in tests/node failed");
}

/// initData as `@telegram-apps/init-data-node` signs it for `user` with `token` at `auth_date_s`.
pub fn node_sign(user: Value, token: &str, auth_date_s: i64) -> String {
    install_signer();
    let args = json!({ "data": { "user": user, "query_id": "AAHdF6IQAAAAAN0XohDhrOrc" }, "token": token, "auth_date_s": auth_date_s });
    let out = Command::new("node")
        .arg("sign.mjs")
        .arg(args.to_string())
        .current_dir(node_dir())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

pub fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

pub fn user(id: i64, lang: &str) -> Value {
    json!({ "id": id, "first_name": "Анна", "last_name": "Test", "username": "anna", "language_code": lang })
}

/// `GET /app/api/{path}` with `init_data` (none: no header); status and JSON body.
pub async fn get(app: &TestApp, path: &str, init_data: Option<&str>) -> (u16, Value) {
    let mut request = app.http.get(format!("{}/app/api/{path}", app.base));
    if let Some(data) = init_data {
        request = request.header("authorization", format!("tma {data}"));
    }
    let response = request.send().await.expect("server reachable");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `POST /app/api/{path}` with `init_data` and the JSON `body`; status and JSON body.
pub async fn post(app: &TestApp, path: &str, init_data: &str, body: &Value) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}/app/api/{path}", app.base))
        .header("authorization", format!("tma {init_data}"))
        .json(body)
        .send()
        .await
        .expect("server reachable");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn ledger(app: &TestApp, key: &str, op: LedgerOp) -> i64 {
    let reply = app
        .running
        .services
        .ledger
        .send(LedgerCommand {
            key: IdempotencyKey::new(key).expect("key"),
            op,
        })
        .await
        .expect("actor")
        .expect("outcome");
    match reply.outcome {
        LedgerOutcome::Applied { operation, .. } => operation.0,
        other => panic!("{key}: {other:?}"),
    }
}

/// A registered client (telegram id `telegram_id`) referred by the demo partner, with its welcome bonus of 100.
pub async fn client(app: &TestApp, telegram_id: i64) -> ClientId {
    let partner = partner(app).await;
    let (id, _) = actors::db::clients::upsert_client_by_telegram(
        &app.db,
        telegram_id,
        Some("Анна"),
        Some(partner),
    )
    .await
    .expect("client");
    let points = Points::new(100).expect("points");
    let welcome = LedgerOp::WelcomeBonus {
        client: id,
        referrer: Some(partner),
        points,
    };
    ledger(app, &format!("welcome:c{}", id.0), welcome).await;
    id
}

pub async fn partner(app: &TestApp) -> PartnerId {
    let row = app
        .db
        .query_one(
            "SELECT id FROM partners WHERE telegram_id = $1",
            &[&loyalty::server::DEMO_PARTNER_ID],
        )
        .await
        .expect("demo partner");
    PartnerId(row.get(0))
}

pub async fn accrue(app: &TestApp, client: ClientId, kopecks: i64, key: &str) -> i64 {
    let op = LedgerOp::Accrue {
        client,
        partner: partner(app).await,
        receipt: Kopecks::new(kopecks).expect("amount"),
        rate: CashbackRate::DEFAULT,
    };
    ledger(app, key, op).await
}

pub async fn redeem(app: &TestApp, client: ClientId, points: i64, key: &str) -> i64 {
    let op = LedgerOp::Redeem {
        client,
        partner: partner(app).await,
        points: Points::new(points).expect("points"),
        receipt: None,
    };
    ledger(app, key, op).await
}

#[actix_rt::test]
async fn init_data_from_an_independent_signer_is_accepted_and_shows_the_own_balance() {
    let app = TestApp::spawn().await;
    client(&app, 4001).await;
    let data = node_sign(user(4001, "ru"), CLIENT_TOKEN, now_s());
    let (status, home) = get(&app, "home", Some(&data)).await;
    assert_eq!(status, 200, "{home}");
    assert_eq!(home["balance"], 100);
    assert_eq!(home["balance_text"], ru(&MiniAppText::Points { n: 100 }));
    assert!(
        home["qr_svg"]
            .as_str()
            .is_some_and(|s| s.starts_with("<svg"))
    );
    // Our own signer (the sandbox's) makes data the library's validator would accept: the same construction.
    let ours =
        loyalty::miniapp::init_data::sign_for_user(4001, "Анна", "en", CLIENT_TOKEN, now_s());
    let (status, texts) = get(&app, "texts", Some(&ours)).await;
    assert_eq!(status, 200);
    assert_eq!(texts["texts"]["tab_history"], ru(&MiniAppText::TabHistory));
}

/// Each way initData can be wrong, as the query string sent.
fn bad_variants(good: &str, now: i64) -> Vec<(String, String)> {
    let fields: Vec<(String, String)> = form_urlencoded::parse(good.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let encode = |fields: &[(String, String)]| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter())
            .finish()
    };
    let mut out = Vec::new();
    for i in 0..fields.len() {
        let mut tampered = fields.clone();
        let (name, value) = &mut tampered[i];
        if name == "user" {
            // Another client's id: the one change an attacker wants.
            *value = value.replace("4001", "4002");
        } else if name == "hash" {
            *value = value.replace(&value[..1], if value.starts_with('0') { "1" } else { "0" });
        } else {
            value.push('1');
        }
        out.push((format!("{name} changed"), encode(&tampered)));
    }
    let without_hash: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| k != "hash")
        .cloned()
        .collect();
    out.push(("hash missing".into(), encode(&without_hash)));
    out.push((
        "another bot's token".into(),
        node_sign(user(4001, "ru"), "sandbox-partner", now),
    ));
    out.push((
        "auth_date older than an hour".into(),
        node_sign(user(4001, "ru"), CLIENT_TOKEN, now - 3_601),
    ));
    out.push(("empty".into(), String::new()));
    out
}

#[actix_rt::test]
async fn tampered_foreign_expired_or_unsigned_init_data_is_401_and_shows_nothing() {
    let app = TestApp::spawn().await;
    let victim = client(&app, 4002).await;
    client(&app, 4001).await;
    let victim_code: String = app
        .db
        .query_one(
            "SELECT member_code FROM clients WHERE id = $1",
            &[&victim.0],
        )
        .await
        .expect("code")
        .get(0);
    let now = now_s();
    let good = node_sign(user(4001, "ru"), CLIENT_TOKEN, now);
    let (status, _) = get(&app, "home", Some(&good)).await;
    assert_eq!(status, 200, "the untampered data works");
    let writes = "SELECT (SELECT count(*) FROM operations) + (SELECT count(*) FROM clients)";
    let before: i64 = app.db.query_one(writes, &[]).await.expect("count").get(0);
    for (what, data) in bad_variants(&good, now) {
        for path in [
            "texts",
            "home",
            "promotions",
            "services",
            "history",
            "profile",
        ] {
            let (status, body) = get(&app, path, Some(&data)).await;
            assert_eq!(status, 401, "{what}, {path}: {body}");
            assert!(body["error"].is_string(), "{what}, {path}: {body}");
            let text = body.to_string();
            assert!(
                !text.contains(&victim_code) && !text.contains("balance"),
                "{what}, {path}: {body}"
            );
        }
    }
    let (status, body) = get(&app, "home", None).await;
    assert_eq!(
        (status, body["error"].is_string()),
        (401, true),
        "no header"
    );
    let after: i64 = app.db.query_one(writes, &[]).await.expect("count").get(0);
    assert_eq!(before, after, "nothing written");
}

#[actix_rt::test]
async fn a_client_sees_only_their_own_history_whatever_ids_the_request_names() {
    let app = TestApp::spawn().await;
    let a = client(&app, 4001).await;
    let b = client(&app, 4002).await;
    let a_ops = [
        accrue(&app, a, 1_000_00, "a1").await,
        accrue(&app, a, 300_00, "a2").await,
    ];
    let b_ops = [redeem(&app, b, 40, "b1").await];
    let ids = |body: &Value| -> Vec<i64> {
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_i64().expect("id"))
            .collect()
    };
    let a_data = node_sign(user(4001, "ru"), CLIENT_TOKEN, now_s());
    let b_data = node_sign(user(4002, "en"), CLIENT_TOKEN, now_s());
    for query in [
        "history".to_owned(),
        format!("history?client_id={}&user_id=4002&telegram_id=4002", b.0),
        format!("history?type=all&before={}&id={}", i64::MAX, b.0),
    ] {
        let (status, body) = get(&app, &query, Some(&a_data)).await;
        assert_eq!(status, 200, "{query}: {body}");
        let seen = ids(&body);
        assert!(
            b_ops.iter().all(|op| !seen.contains(op)),
            "{query}: {seen:?}"
        );
        assert!(
            a_ops.iter().all(|op| seen.contains(op)),
            "{query}: {seen:?}"
        );
        assert_eq!(seen.len(), 3, "two accruals and the bonus: {query}");
    }
    let (_, body) = get(&app, "history", Some(&b_data)).await;
    let seen = ids(&body);
    assert!(seen.contains(&b_ops[0]) && a_ops.iter().all(|op| !seen.contains(op)));
    assert_eq!(
        body["items"][0]["points_text"],
        en(&MiniAppText::PointsOut { n: 40 })
    );
    let (_, home) = get(&app, &format!("home?client_id={}", a.0), Some(&b_data)).await;
    assert_eq!(
        home["balance"], 60,
        "B's own balance, whatever the query says"
    );
}

#[actix_rt::test]
async fn a_telegram_user_who_is_not_a_client_gets_404_with_a_text_to_open_the_bot() {
    let app = TestApp::spawn().await;
    let data = node_sign(user(4009, "en"), CLIENT_TOKEN, now_s());
    let (status, body) = get(&app, "home", Some(&data)).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "not registered, open the bot");
    assert_eq!(body["text"], en(&MiniAppText::NotRegistered));
    let (status, texts) = get(&app, "texts", Some(&data)).await;
    assert_eq!((status, texts["lang"].as_str()), (200, Some("en")));
}

#[actix_rt::test]
async fn the_client_bot_menu_button_opens_the_mini_app_with_init_data_the_api_accepts() {
    let app = TestApp::spawn().await;
    client(&app, 4001).await;
    let button = app.sandbox_get("menu_button?bot=client&user_id=4001").await;
    assert_eq!(button["type"], "web_app", "{button}");
    assert_eq!(button["text"], ru(&MiniAppText::MenuButton));
    assert_eq!(button["web_app"]["url"], format!("{}/app/", app.base));
    let signed = app
        .sandbox_get("web_app_data?bot=client&user_id=4001&first_name=Anna&language_code=en")
        .await;
    let data = signed["init_data"].as_str().expect("init data");
    let (status, profile) = get(&app, "profile", Some(data)).await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["referred_by"], loyalty::server::DEMO_PARTNER_NAME);
    let page = app
        .http
        .get(format!("{}/app/", app.base))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("/app/telegram-web-app.js"),
        "the sandbox's stand-in"
    );
    assert!(
        !page.contains("telegram.org"),
        "not Telegram's script on the sandbox"
    );
}
