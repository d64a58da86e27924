//! `loyalty backup` and `loyalty restore` as an operator runs them: the real binary, pg_dump and pg_restore against
//! the test Postgres.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::helpers::{TestWorld, admin_pg_url, connect, db_url};
use crate::ledger::{accrue, client, partner, redeem, send, welcome};
use crate::ops::{loyalty, loyalty_on};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Our backups in `dir`, oldest first.
fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("backup directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("loyalty-2") && name.ends_with(".dump")
        })
        .collect();
    found.sort();
    found
}

/// Every table of the public schema with its row count and the md5 of its rows in a fixed order.
async fn contents(database: &str) -> Vec<(String, i64, String)> {
    let db = connect(&db_url(database)).await;
    let tables: Vec<String> = db
        .query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
            &[],
        )
        .await
        .expect("list tables")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = Vec::new();
    for table in tables {
        let row = db
            .query_one(
                &format!(
                    "SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') \
                     FROM public.{table} t"
                ),
                &[],
            )
            .await
            .expect("table digest");
        out.push((table, row.get(0), row.get(1)));
    }
    out
}

#[actix_rt::test]
async fn a_backup_restored_into_a_fresh_database_is_equal_and_its_ledger_clean() {
    let world = TestWorld::new().await;
    let p = partner(&world, 1).await;
    let (anna, boris) = (client(&world, 2).await, client(&world, 3).await);
    send(&world, "w-anna", welcome(anna)).await;
    send(&world, "w-boris", welcome(boris)).await;
    send(&world, "a-1", accrue(anna, p, 2_500_00)).await;
    send(&world, "a-2", accrue(boris, p, 999_99)).await;
    send(&world, "r-1", redeem(anna, p, 60)).await;

    let dir = std::env::temp_dir().join(format!("{}_backups", world.database));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("backup dir");
    // Files that are not ours stay whatever the retention does.
    for foreign in ["loyalty-manual.dump", "notes.txt"] {
        std::fs::write(dir.join(foreign), "keep me").expect("foreign file");
    }
    for _ in 0..3 {
        let out = loyalty(&world)
            .args(["backup", "--keep", "2", "--dir"])
            .arg(&dir)
            .output()
            .expect("run backup");
        assert!(out.status.success(), "backup failed:\n{}", text(&out));
        assert!(text(&out).contains("backup written"), "{}", text(&out));
    }
    let kept = backups(&dir);
    assert_eq!(kept.len(), 2, "--keep 2 keeps two: {kept:?}");
    for foreign in ["loyalty-manual.dump", "notes.txt"] {
        assert!(dir.join(foreign).exists(), "{foreign} was deleted");
    }
    let newest = kept.last().expect("a backup");
    let mode = std::fs::metadata(newest)
        .expect("backup")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "a backup holds phone numbers: owner only"
    );

    // An empty database of its own (named so the test world's clean-up drops it with the rest).
    let fresh = format!("{}_restored", world.database);
    let admin = connect(&admin_pg_url()).await;
    admin
        .batch_execute(&format!("CREATE DATABASE {fresh} TEMPLATE template0"))
        .await
        .expect("create the empty database");
    let restore = |force: bool| {
        let mut cmd = loyalty_on(&fresh);
        cmd.args(["restore", "--file"]).arg(newest);
        if force {
            cmd.arg("--force");
        }
        cmd.output().expect("run restore")
    };
    let out = restore(false);
    assert!(out.status.success(), "restore failed:\n{}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "{} invariants, 0 violated",
            actors::ledger::audit::INVARIANT_COUNT
        )),
        "{}",
        text(&out)
    );

    let (before, after) = (contents(&world.database).await, contents(&fresh).await);
    assert_eq!(before, after, "tables differ after the restore");
    let operations = after.iter().find(|(t, _, _)| t == "operations");
    assert_eq!(operations.map(|(_, rows, _)| *rows), Some(5), "{after:?}");

    // Into a database that is not empty: refused, with the way out named.
    let out = restore(false);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    for words in ["is not empty", "--force"] {
        assert!(
            text(&out).contains(words),
            "{words:?} missing:\n{}",
            text(&out)
        );
    }
    assert_eq!(
        contents(&fresh).await,
        before,
        "a refused restore changed nothing"
    );
    let out = restore(true);
    assert!(
        out.status.success(),
        "forced restore failed:\n{}",
        text(&out)
    );
    assert_eq!(contents(&fresh).await, before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[actix_rt::test]
async fn the_database_password_shows_in_no_output_when_postgres_cannot_be_reached() {
    let dir = std::env::temp_dir().join(format!("loyalty-backup-secret-{}", std::process::id()));
    let url = "postgres://loyalty:hunter2-secret@127.0.0.1:1/loyalty";
    let file = dir.join("loyalty-20270115T080000.000Z.dump");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(&file, "not a dump").expect("file");
    for args in [
        vec!["backup", "--dir", dir.to_str().expect("utf-8")],
        vec!["restore", "--file", file.to_str().expect("utf-8")],
    ] {
        let out = loyalty_on("loyalty")
            .env("LOYALTY__DATABASE__URL", url)
            .args(&args)
            .output()
            .expect("run");
        assert!(
            !out.status.success(),
            "{args:?} reached a closed port:\n{}",
            text(&out)
        );
        assert!(
            !text(&out).contains("hunter2"),
            "{args:?} printed the password:\n{}",
            text(&out)
        );
    }
    // The failed dump left nothing behind that could pass for a backup.
    assert_eq!(backups(&dir), vec![file]);
    let _ = std::fs::remove_dir_all(&dir);
}
