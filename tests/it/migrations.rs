//! What `loyalty migrate` (and every start-up) does to a database: migrations applied once as checksummed history,
//! function files applied again when their checksum changes, and a failing file named.

use loyalty::migrate;

use crate::helpers::{TestWorld, admin_pg_url, connect, db_url};
use crate::ops::{loyalty, loyalty_on};

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
