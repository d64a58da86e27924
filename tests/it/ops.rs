//! What operators see: separate processes on one database, the `check-ledger` command, readiness, migrations.

use std::process::{Command, Stdio};

use actix_web::{App, test, web};
use loyalty::config::Secret;
use loyalty::{http, migrate};

use crate::helpers::{TestWorld, admin_pg_url, connect, db_url};

fn loyalty(world: &TestWorld) -> Command {
    loyalty_on(&world.database)
}

/// The product's binary pointed at `database` on the test server.
fn loyalty_on(database: &str) -> Command {
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
async fn a_fresh_database_migrates_from_nothing_and_check_ledger_is_clean() {
    // Not a clone of the test template: an empty database, as an operator's first `loyalty migrate` sees it. The
    // name follows the helpers' pattern, so a run that fails here leaves nothing behind for long.
    let database = format!(
        "loyalty_test_{}_fresh_{}",
        std::process::id(),
        rand::random::<u32>()
    );
    let admin = connect(&admin_pg_url()).await;
    admin
        .batch_execute(&format!("CREATE DATABASE {database}"))
        .await
        .expect("create database");
    let first = loyalty_on(&database)
        .arg("migrate")
        .output()
        .expect("run migrate");
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let everything: Vec<&str> = migrate::MIGRATIONS.iter().map(|(n, _)| *n).collect();
    assert!(said.contains(&everything.join(", ")), "{said}");
    assert!(said.contains("functions: ledger_apply_batch"), "{said}");
    let second = loyalty_on(&database)
        .arg("migrate")
        .output()
        .expect("run migrate");
    assert!(String::from_utf8_lossy(&second.stdout).contains("none (up to date)"));
    let check = loyalty_on(&database)
        .arg("check-ledger")
        .output()
        .expect("run check-ledger");
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "check-ledger on a fresh database:\n{report}"
    );
    assert!(report.contains("0 violated"), "{report}");
    admin
        .batch_execute(&format!("DROP DATABASE {database} WITH (FORCE)"))
        .await
        .expect("drop database");
}

#[actix_rt::test]
async fn migrating_twice_applies_nothing_the_second_time() {
    let world = TestWorld::new().await;
    let mut client = connect(&db_url(&world.database)).await;
    let again = migrate::migrate(&mut client).await.expect("migrate");
    assert!(again.is_empty(), "the template was fully migrated: {again}");
    let out = loyalty(&world)
        .arg("migrate")
        .output()
        .expect("run migrate");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
    let tables = world
        .count("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        .await;
    assert!(tables >= 14, "{tables} tables");
    let recorded = world.count("SELECT count(*) FROM schema_functions").await;
    assert_eq!(recorded, migrate::FUNCTIONS.len() as i64);
}

/// The function file's body: the text between its first pair of `$$`, which is what `pg_proc.prosrc` holds.
fn body_of(file: &str) -> &str {
    file.split("$$").nth(1).expect("a $$-quoted body")
}

#[actix_rt::test]
async fn a_function_file_whose_checksum_changed_is_applied_again() {
    let world = TestWorld::new().await;
    let p = crate::ledger::partner(&world, 1).await;
    let c = crate::ledger::client(&world, 2).await;
    let file = migrate::FUNCTIONS
        .iter()
        .find(|(n, _)| *n == "ledger_apply_batch")
        .expect("listed")
        .1;
    // What a database migrated by an older binary holds: another body, recorded under another checksum.
    let older = file.replacen(body_of(file), " BEGIN RETURN; END ", 1);
    world
        .db
        .batch_execute(&older)
        .await
        .expect("older function");
    world
        .db
        .execute(
            "UPDATE schema_functions SET checksum = 'older' WHERE name = 'ledger_apply_batch'",
            &[],
        )
        .await
        .expect("record older checksum");

    let mut client = connect(&db_url(&world.database)).await;
    let applied = migrate::migrate(&mut client).await.expect("migrate");
    assert_eq!(applied.functions, ["ledger_apply_batch"]);
    assert!(applied.migrations.is_empty(), "{applied}");
    let installed: String = world
        .db
        .query_one(
            "SELECT prosrc FROM pg_proc WHERE proname = 'ledger_apply_batch'",
            &[],
        )
        .await
        .expect("pg_proc")
        .get(0);
    assert_eq!(installed, body_of(file));
    let recorded: String = world
        .db
        .query_one(
            "SELECT checksum FROM schema_functions WHERE name = 'ledger_apply_batch'",
            &[],
        )
        .await
        .expect("schema_functions")
        .get(0);
    assert_eq!(recorded, migrate::checksum(file));
    // And the ledger works again on it.
    let reply = crate::ledger::send(&world, "after", crate::ledger::accrue(c, p, 1_000_00)).await;
    assert!(
        matches!(reply.outcome, actors::LedgerOutcome::Applied { .. }),
        "{reply:?}"
    );
    assert!(
        migrate::migrate(&mut client)
            .await
            .expect("migrate")
            .is_empty()
    );
}

#[actix_rt::test]
async fn a_function_file_that_fails_is_named_and_leaves_nothing_behind() {
    let world = TestWorld::new().await;
    let mut client = connect(&db_url(&world.database)).await;
    let broken = [(
        "broken_example",
        "CREATE OR REPLACE FUNCTION broken_example() RETURNS bigint LANGUAGE sql AS $$ SELECT no_such_column FROM accounts $$;",
    )];
    let err = migrate::migrate_sets(&mut client, migrate::MIGRATIONS, &broken)
        .await
        .expect_err("a broken function file");
    let message = format!("{err:#}");
    assert!(
        message.contains("sql/functions/broken_example.sql"),
        "{message}"
    );
    assert!(message.contains("no_such_column"), "{message}");
    assert_eq!(
        world
            .count("SELECT count(*) FROM pg_proc WHERE proname = 'broken_example'")
            .await,
        0
    );
    assert_eq!(
        world
            .count("SELECT count(*) FROM schema_functions WHERE name = 'broken_example'")
            .await,
        0
    );
}

#[actix_rt::test]
async fn a_migration_changed_after_it_was_applied_is_refused() {
    let world = TestWorld::new().await;
    world
        .db
        .execute(
            "UPDATE schema_migrations SET checksum = 'older' WHERE name = '0002_ledger'",
            &[],
        )
        .await
        .expect("record another checksum");
    let mut client = connect(&db_url(&world.database)).await;
    let err = migrate::migrate(&mut client).await.expect_err("refused");
    assert!(
        err.to_string()
            .contains("sql/migrations/0002_ledger.sql was changed"),
        "{err:#}"
    );
}

#[actix_rt::test]
async fn help_lists_the_operator_commands() {
    let out = Command::new(env!("CARGO_BIN_EXE_loyalty"))
        .arg("--help")
        .output()
        .expect("run --help");
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "migrate", "check-ledger", "demo"] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
}
