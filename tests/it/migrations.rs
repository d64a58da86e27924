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

/// A database named `{world}_{suffix}` migrated up to 0008 (the three-table ledger) holding what that ledger wrote
/// for an accrual of 50 points (key `old-accrual`) and a refused redemption of 500 (key `old-refusal`): the
/// database, a connection to it, and the two commands.
async fn a_ledger_before_0009(
    world: &TestWorld,
    suffix: &str,
) -> (
    String,
    tokio_postgres::Client,
    actors::LedgerOp,
    actors::LedgerOp,
) {
    use actors::db::{clients, partners};

    use crate::ledger::{accrue, redeem};

    let database = format!("{}_{suffix}", world.database);
    let admin = connect(&admin_pg_url()).await;
    admin
        .batch_execute(&format!("CREATE DATABASE {database}"))
        .await
        .expect("create database");
    let mut db = connect(&db_url(&database)).await;
    let before_0009 = migrate::MIGRATIONS
        .iter()
        .position(|(name, _)| *name == "0009_ledger_one_row_per_transfer")
        .expect("0009 is embedded");
    migrate::migrate_sets(&mut db, &migrate::MIGRATIONS[..before_0009], &[])
        .await
        .expect("migrate to 0008");
    let p = partners::upsert_approved_partner(&db, 1, "Кофейня", 500)
        .await
        .expect("partner");
    let c = clients::upsert_client_by_telegram(&db, 2, Some("Анна"), None)
        .await
        .expect("client")
        .0;
    let (accrual, refused) = (accrue(c, p, 1_000_00), redeem(c, p, 500));
    db.execute(
        "WITH wallet AS (INSERT INTO accounts (kind, client_id, balance) VALUES ('client_wallet', $1, 50) RETURNING id),
              issued AS (INSERT INTO accounts (kind, partner_id, balance) VALUES ('partner_issued', $2, -50) RETURNING id),
              op AS (INSERT INTO operations (idempotency_key, kind, client_id, partner_id, points, receipt_kopecks, cashback_bp)
                     VALUES ('old-accrual', 'accrual', $1, $2, 50, 100000, 500) RETURNING id),
              entry AS (INSERT INTO journal_entries (operation_id, debit_account_id, credit_account_id, points)
                        SELECT op.id, issued.id, wallet.id, 50 FROM op, issued, wallet)
         INSERT INTO idempotency_keys (key, fingerprint, outcome, operation_id, points, balance)
         SELECT 'old-accrual', $3, 'applied', op.id, 50, 50 FROM op
         UNION ALL SELECT 'old-refusal', $4, 'insufficient_points', NULL, 500, 50",
        &[&c.0, &p.0, &accrual.fingerprint(), &refused.fingerprint()],
    )
    .await
    .expect("the old ledger's rows");
    (database, db, accrual, refused)
}

/// Migration 0009 folds each operation's journal entry and key into the operation: a database written by the
/// three-table ledger (0008) comes through with its books intact, and a repeat of a command it applied or refused
/// before the migration replays that outcome instead of moving points again.
#[actix_rt::test]
async fn the_one_row_ledger_migration_keeps_old_books_and_replays_old_keys() {
    use actix::Actor;
    use actors::{LedgerActor, LedgerCommand, LedgerOutcome};

    use crate::ledger::key;

    let world = TestWorld::new().await;
    let admin = connect(&admin_pg_url()).await;
    let (database, mut db, accrual, refused) = a_ledger_before_0009(&world, "old_ledger").await;

    let applied = migrate::migrate(&mut db).await.expect("migrate to 0009");
    assert_eq!(applied.migrations, ["0009_ledger_one_row_per_transfer"]);
    let checks = actors::ledger::audit::check(&db).await.expect("audit");
    assert!(checks.iter().all(|c| c.violations == 0), "{checks:?}");

    let mut settings = world.settings.database.clone();
    settings.url = loyalty::config::Secret::new(db_url(&database));
    let ledger = LedgerActor::new(
        loyalty::db::pg_pool(&settings, 2).expect("pool"),
        world.settings.ledger.clone(),
    )
    .start();
    let send = |k: &str, op| ledger.send(LedgerCommand { key: key(k), op });
    let again = send("old-accrual", accrual.clone())
        .await
        .expect("actor")
        .expect("outcome");
    assert!(again.replayed, "{again:?}");
    assert!(
        matches!(again.outcome, LedgerOutcome::Applied { balance: 50, .. }),
        "{again:?}"
    );
    let again = send("old-refusal", refused.clone())
        .await
        .expect("actor")
        .expect("outcome");
    assert!(again.replayed, "{again:?}");
    assert_eq!(
        again.outcome,
        LedgerOutcome::InsufficientPoints { balance: 50 }
    );
    let fresh = send("new-accrual", accrual)
        .await
        .expect("actor")
        .expect("outcome");
    assert!(
        matches!(fresh.outcome, LedgerOutcome::Applied { balance: 100, .. }),
        "{fresh:?}"
    );
    let checks = actors::ledger::audit::check(&db).await.expect("audit");
    assert!(checks.iter().all(|c| c.violations == 0), "{checks:?}");
    let entries: i64 = db
        .query_one("SELECT count(*) FROM journal_entries", &[])
        .await
        .expect("journal")
        .get(0);
    assert_eq!(entries, 2, "the old entry and the new one");
    drop(db);
    admin
        .batch_execute(&format!("DROP DATABASE {database} WITH (FORCE)"))
        .await
        .expect("drop database");
}

/// Backs `database` up with the real binary into a fresh directory, restores that backup into a new empty database
/// named `{world}_{target}`, and returns the restore's output and whether it succeeded.
async fn backup_and_restore(world: &TestWorld, database: &str, target: &str) -> (String, bool) {
    let dir = std::env::temp_dir().join(format!("{}_{target}_backups", world.database));
    let _ = std::fs::remove_dir_all(&dir);
    let out = loyalty_on(database)
        .args(["backup", "--keep", "1", "--dir"])
        .arg(&dir)
        .output()
        .expect("run backup");
    assert!(out.status.success(), "{out:?}");
    let file = std::fs::read_dir(&dir)
        .expect("backup dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|x| x == "dump"))
        .expect("a backup file");
    let fresh = format!("{}_{target}", world.database);
    connect(&admin_pg_url())
        .await
        .batch_execute(&format!("CREATE DATABASE {fresh}"))
        .await
        .expect("create the empty database");
    let out = loyalty_on(&fresh)
        .args(["restore", "--file"])
        .arg(&file)
        .output()
        .expect("run restore");
    let _ = std::fs::remove_dir_all(&dir);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (said, out.status.success())
}

/// A backup taken before 0009 restores into this release: the restore brings it to this release's schema before it
/// checks the ledger with this release's invariants (it used to check first and fail on the missing tables).
#[actix_rt::test]
async fn a_backup_from_before_0009_restores_migrated_with_a_clean_ledger() {
    let world = TestWorld::new().await;
    let (old, db, _, _) = a_ledger_before_0009(&world, "old_backup").await;
    drop(db);
    let (said, ok) = backup_and_restore(&world, &old, "old_restored").await;
    assert!(ok, "{said}");
    assert!(
        said.contains("migrations applied: 0009_ledger_one_row_per_transfer"),
        "{said}"
    );
    assert!(said.contains(" invariants, 0 violated"), "{said}");
}

/// A backup from a newer release (its schema has a migration this release lacks) is restored but neither migrated
/// nor checked by this release, and the operator is told which release to use.
#[actix_rt::test]
async fn a_backup_from_a_newer_release_is_left_as_restored_and_named() {
    let world = TestWorld::new().await;
    world
        .db
        .batch_execute(
            "INSERT INTO schema_migrations (name, checksum) VALUES ('9999_from_a_newer_release', 'x')",
        )
        .await
        .expect("a migration of a newer release");
    let (said, ok) = backup_and_restore(&world, &world.database, "newer_restored").await;
    assert!(!ok, "{said}");
    assert!(said.contains("newer release"), "{said}");
    assert!(said.contains("9999_from_a_newer_release"), "{said}");
    assert!(!said.contains("invariants"), "not checked: {said}");
}
