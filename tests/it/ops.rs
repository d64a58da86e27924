//! What operators see: separate processes on one database, the `check-ledger` command, readiness. (Migrations:
//! `migrations.rs`.)

use std::process::{Command, Stdio};

use actix_web::{App, test, web};
use loyalty::config::Secret;
use loyalty::http;

use crate::helpers::{TestWorld, db_url};

/// The product's binary pointed at the test's database and Redis.
pub fn loyalty(world: &TestWorld) -> Command {
    loyalty_on(&world.database)
}

/// The product's binary pointed at `database` on the test server.
pub fn loyalty_on(database: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loyalty"));
    cmd.env("LOYALTY__DATABASE__URL", db_url(database))
        .env("LOYALTY__REDIS__URL", crate::helpers::redis_url())
        .env("LOYALTY__LOG__LEVEL", "warn")
        .env_remove("LOYALTY_CONFIG");
    cmd
}

#[actix_rt::test]
async fn two_processes_hammering_the_same_wallets_leave_every_invariant_intact() {
    let world = TestWorld::new().await;
    let spawn = |seed: &str, prefix: &str| {
        loyalty(&world)
            .args([
                "stress-ledger",
                "--ops",
                "1500",
                "--clients",
                "6",
                "--partners",
                "3",
                "--concurrency",
                "24",
            ])
            .args(["--seed", seed, "--key-prefix", prefix])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn loyalty stress-ledger")
    };
    let (a, b) = (spawn("11", "proc-a"), spawn("22", "proc-b"));
    for (name, child) in [("a", a), ("b", b)] {
        let out = child.wait_with_output().expect("wait");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "process {name} failed: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON summary");
        assert!(
            summary["applied"].as_u64().unwrap_or(0) > 500,
            "process {name} applied too little: {summary}"
        );
        assert_eq!(summary["replays_mismatched"], 0, "{summary}");
        assert_eq!(summary["unresolved"], 0, "{summary}");
    }
    // Both processes submitted every welcome bonus under the same key: each client got exactly one.
    assert_eq!(
        world
            .count("SELECT count(*) FROM operations WHERE kind = 'welcome_bonus'")
            .await,
        6
    );
    let check = loyalty(&world)
        .arg("check-ledger")
        .output()
        .expect("run check-ledger");
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "check-ledger found violations:\n{report}"
    );
    assert!(report.contains("0 violated"), "{report}");
}

#[actix_rt::test]
async fn check_ledger_names_a_tampered_balance_and_exits_non_zero() {
    let world = TestWorld::new().await;
    let p = crate::ledger::partner(&world, 1).await;
    let c = crate::ledger::client(&world, 2).await;
    crate::ledger::send(&world, "a", crate::ledger::accrue(c, p, 1_000_00)).await;
    world
        .db
        .execute("UPDATE accounts SET balance = balance + 5 WHERE kind = 'client_wallet' AND client_id = $1", &[&c.0])
        .await
        .expect("tamper");
    let check = loyalty(&world)
        .arg("check-ledger")
        .output()
        .expect("run check-ledger");
    let report = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{report}");
    for line in ["FAIL accounts_sum_to_zero", "FAIL balance_equals_journal"] {
        assert!(report.contains(line), "missing {line:?} in:\n{report}");
    }
    assert!(report.contains("ok   wallets_not_negative"), "{report}");
}

#[actix_rt::test]
async fn readiness_names_the_dependency_that_is_down() {
    let world = TestWorld::new().await;
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(world.services.clone()))
            .configure(http::configure),
    )
    .await;
    let ok = test::call_service(&app, test::TestRequest::get().uri("/readyz").to_request()).await;
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = test::read_body_json(ok).await;
    assert_eq!(body, serde_json::json!({ "postgres": "ok", "redis": "ok" }));

    // The same product pointed at a Redis that is not there.
    let mut settings = world.settings.clone();
    settings.redis.url = Secret::new("redis://127.0.0.1:1".into());
    let broken = loyalty::Services::start(settings)
        .await
        .expect("start without Redis");
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(broken))
            .configure(http::configure),
    )
    .await;
    let down = test::call_service(&app, test::TestRequest::get().uri("/readyz").to_request()).await;
    assert_eq!(down.status(), 503);
    let body: serde_json::Value = test::read_body_json(down).await;
    assert_eq!(
        body,
        serde_json::json!({ "postgres": "ok", "redis": "down" })
    );
}

#[actix_rt::test]
async fn help_lists_the_operator_commands() {
    let out = Command::new(env!("CARGO_BIN_EXE_loyalty"))
        .arg("--help")
        .output()
        .expect("run --help");
    let help = String::from_utf8_lossy(&out.stdout);
    for command in [
        "serve",
        "migrate",
        "check-ledger",
        "demo",
        "backup",
        "restore",
    ] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
}
