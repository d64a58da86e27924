//! The load harness against real `loyalty serve` processes, Postgres and Redis (the servers the other integration
//! tests use: `LOYALTY_TEST_PG_URL`, `LOYALTY_TEST_REDIS_URL`): a short run passes its Jepsen-style check; a run
//! that SIGKILLs one of two replicas mid-run still passes; a database doctored afterwards (one journal row removed)
//! fails the check with a message naming what broke.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pg_url() -> String {
    std::env::var("LOYALTY_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://loyalty@127.0.0.1:55432/postgres".into())
}

fn redis_url() -> String {
    std::env::var("LOYALTY_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:56379".into())
}

fn harness() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_loyalty-load"))
}

/// The `loyalty` server binary beside the harness, built if this test run did not build it.
fn ensure_server() {
    let server = harness().with_file_name("loyalty");
    if !server.is_file() {
        let built = Command::new(env!("CARGO"))
            .args(["build", "--bin", "loyalty"])
            .status()
            .expect("cargo build");
        assert!(built.success(), "building the loyalty binary");
    }
}

fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn run(database: &str, out: &Path, extra: &[&str]) -> Output {
    ensure_server();
    let output = Command::new(harness())
        .args([
            "run",
            "--quiet",
            "--users",
            "24",
            "--partners",
            "4",
            "--seconds",
            "3",
        ])
        .args([
            "--database",
            database,
            "--pg-url",
            &pg_url(),
            "--redis-url",
            &redis_url(),
        ])
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("run the harness");
    println!("{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    output
}

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report.json"))
        .expect("json")
}

#[test]
fn a_short_run_passes_the_check_and_a_doctored_database_fails_it() {
    let out = out_dir("harness-short");
    let database = "loyalty_load_test_short";
    let output = run(database, &out, &[]);
    assert!(output.status.success(), "the run's check failed");
    let r = report(&out);
    let verdict = &r["verdict"];
    assert!(
        verdict["ok"].as_u64().expect("ok") > 24,
        "joins and money steps acknowledged: {verdict}"
    );
    assert_eq!(
        verdict["violations"].as_array().expect("violations").len(),
        0
    );
    assert!(r["steps"].as_u64().expect("steps") > 100);
    assert!(out.join("report.svg").is_file());
    let accrued = r["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .find(|k| k["kind"] == "accrue_confirm")
        .expect("accruals ran");
    assert_eq!(accrued["errors"], 0);

    // The doctor removes one operation (the append-only trigger set aside for the purpose): a wallet no longer
    // equals its journal.
    let db_url = pg_url()
        .rsplit_once('/')
        .map(|(base, _)| format!("{base}/{database}"))
        .expect("url");
    let sql = "ALTER TABLE operations DISABLE TRIGGER operations_append_only;
               DELETE FROM operations WHERE id = (SELECT max(id) FROM operations
                                                   WHERE NOT EXISTS (SELECT 1 FROM nps_ratings n WHERE n.operation_id = operations.id)
                                                     AND NOT EXISTS (SELECT 1 FROM redemption_requests r WHERE r.operation_id = operations.id));
               ALTER TABLE operations ENABLE TRIGGER operations_append_only;";
    let doctored = Command::new("psql")
        .args([&db_url, "-v", "ON_ERROR_STOP=1", "-c", sql])
        .status();
    assert!(doctored.expect("psql").success(), "doctoring the database");
    let check = Command::new(harness())
        .args(["check", "--database-url", &db_url, "--history"])
        .arg(out.join("history.json"))
        .output()
        .expect("run the check");
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        !check.status.success(),
        "a doctored database must fail the check: {said}"
    );
    assert!(said.contains("VIOLATION: check-ledger"), "{said}");
}

#[test]
fn a_replica_killed_mid_run_loses_nothing_and_applies_nothing_twice() {
    let out = out_dir("harness-kill");
    let output = run(
        "loyalty_load_test_kill",
        &out,
        &["--replicas", "2", "--kill-after-s", "1"],
    );
    assert!(
        output.status.success(),
        "the run's check failed after a kill"
    );
    let r = report(&out);
    let replicas = r["replicas"].as_array().expect("replicas");
    assert_eq!(replicas[0]["killed"], true);
    assert!(
        replicas[1]["delivered"].as_u64().expect("delivered") > 0,
        "the survivor took the load"
    );
    assert_eq!(
        r["verdict"]["violations"]
            .as_array()
            .expect("violations")
            .len(),
        0
    );
}

/// The short chaos run (issue 17): two replicas under load while replica 0 is SIGKILLed and started again, the
/// run's own Redis is restarted, its own Postgres is stopped `-m immediate` and started, the other replica is
/// SIGSTOPped past every stream lease and SIGCONTed, and a fifth of the updates are pushed twice. Afterwards the
/// history check and check-ledger find nothing wrong and every chat still answers.
#[test]
fn a_short_chaos_run_leaves_the_books_clean_and_every_chat_answering() {
    ensure_server();
    let out = out_dir("harness-chaos");
    let output = Command::new(harness())
        .args(["run", "--quiet", "--users", "24", "--partners", "4"])
        .args(["--seconds", "30", "--replicas", "2", "--chaos"])
        .args(["--database", "loyalty_load_test_chaos"])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run the harness");
    let said = String::from_utf8_lossy(&output.stdout);
    println!("{said}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the chaos run's check failed");
    for fault in [
        "SIGKILL replica 0",
        "replica 0 started again",
        "Redis restarted",
        "Postgres stopped -m immediate and started",
        "SIGSTOP replica 1",
        "SIGCONT replica 1",
    ] {
        assert!(said.contains(fault), "{fault:?} did not happen: {said}");
    }
    assert!(said.contains("0 silent"), "{said}");
    let twice: u64 = said
        .split("updates delivered twice: ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .and_then(|n| n.parse().ok())
        .expect("the redelivery figure");
    assert!(twice > 0, "no update was delivered twice");
    let r = report(&out);
    assert_eq!(
        r["verdict"]["violations"]
            .as_array()
            .expect("violations")
            .len(),
        0
    );
}
