//! Dashboard sessions: one ends when idle and, however active, after its absolute lifetime; one whose admin has
//! left the allow-list opens nothing and is deleted.

use std::time::Duration;

use reqwest::StatusCode;

use crate::app::TestApp;
use crate::dashboard::{Browser, apply, partner_status};

#[actix_rt::test]
async fn a_session_ends_when_idle_and_after_its_absolute_lifetime_however_active() {
    let app = TestApp::spawn_with(|s| {
        s.dashboard.session_idle_s = 2;
        s.dashboard.session_absolute_s = 3;
    })
    .await;
    let mut busy = Browser::new(&app);
    busy.sign_in().await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(busy.get("/dashboard/").await.0, StatusCode::OK, "renewed");
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    assert_eq!(
        busy.get("/dashboard/").await.0,
        StatusCode::SEE_OTHER,
        "active, but older than its absolute lifetime"
    );
    let mut idle = Browser::new(&app);
    idle.sign_in().await;
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    assert_eq!(
        idle.get("/dashboard/").await.0,
        StatusCode::SEE_OTHER,
        "idle too long"
    );
}

#[actix_rt::test]
async fn a_session_of_someone_no_longer_on_the_allow_list_opens_nothing() {
    use sha2::Digest;
    let app = TestApp::spawn().await;
    let partner = apply(&app, 5103, "Пекарня «Колос»").await;
    // A live session whose admin has since been taken off `telegram.admin_ids` (4242 is not on it).
    let id = "a".repeat(64);
    let key = format!(
        "{}dash:v1:session:{}",
        app.settings.sessions.redis_namespace,
        hex::encode(sha2::Sha256::digest(id.as_bytes()))
    );
    let session = serde_json::json!({ "admin": 4242, "csrf": "b".repeat(64), "created_s": jiff::Timestamp::now().as_second() });
    let mut redis = app.redis().await;
    deadpool_redis::redis::cmd("SET")
        .arg(&key)
        .arg(session.to_string())
        .arg("EX")
        .arg(600)
        .query_async::<()>(&mut redis)
        .await
        .expect("redis");
    let mut former = Browser::new(&app);
    former.cookie = Some(id);
    let csrf = "b".repeat(64);
    let path = format!("/dashboard/moderation/application/{partner}");
    let (code, _, _) = former
        .post(&path, &[("csrf", &csrf), ("verdict", "approve")])
        .await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    assert_eq!(partner_status(&app, partner).await, "pending");
    // Refused, the session is gone: the pages send to sign in.
    assert_eq!(former.get("/dashboard/").await.0, StatusCode::SEE_OTHER);
    let left: i64 = deadpool_redis::redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .expect("redis");
    assert_eq!(left, 0);
}
