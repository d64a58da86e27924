//! Applies the numbered migrations in `sql/`, embedded in the binary, each once and in its own transaction.
//!
//! Replicas starting together take an advisory lock, so exactly one applies them. A migration already applied whose
//! text changed is an error: the schema in a database must match the code that runs on it.

use anyhow::Context;

/// Every migration, in order. A new file in `sql/` goes here too; a test checks the two agree.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_people", include_str!("../sql/0001_people.sql")),
    ("0002_ledger", include_str!("../sql/0002_ledger.sql")),
    (
        "0003_language_override",
        include_str!("../sql/0003_language_override.sql"),
    ),
    (
        "0004_ledger_batch",
        include_str!("../sql/0004_ledger_batch.sql"),
    ),
    (
        "0005_ledger_shared_last",
        include_str!("../sql/0005_ledger_shared_last.sql"),
    ),
];

/// An arbitrary constant naming our advisory lock.
const MIGRATION_LOCK: i64 = 0x6c6f_7961_6c74;

/// Applies what is missing; returns the names it applied.
pub async fn migrate(client: &mut tokio_postgres::Client) -> anyhow::Result<Vec<&'static str>> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await
        .context("creating schema_migrations")?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let result = apply_missing(client).await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    result
}

async fn apply_missing(client: &mut tokio_postgres::Client) -> anyhow::Result<Vec<&'static str>> {
    let mut applied = Vec::new();
    for (name, sql) in MIGRATIONS {
        let checksum = checksum(sql);
        let row = client
            .query_opt(
                "SELECT checksum FROM schema_migrations WHERE name = $1",
                &[name],
            )
            .await?;
        match row {
            Some(row) => {
                let stored: String = row.get(0);
                anyhow::ensure!(
                    stored == checksum,
                    "migration {name} was changed after it was applied"
                );
            }
            None => {
                let tx = client.transaction().await?;
                tx.batch_execute(sql)
                    .await
                    .with_context(|| format!("applying migration {name}"))?;
                tx.execute(
                    "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
                    &[name, &checksum],
                )
                .await?;
                tx.commit().await?;
                applied.push(*name);
            }
        }
    }
    Ok(applied)
}

/// FNV-1a of the text, hex: stable across Rust releases.
pub fn checksum(sql: &str) -> String {
    let h = sql.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_file_in_sql_is_a_listed_migration_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sql");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".sql"))
            .map(|n| n.trim_end_matches(".sql").to_string())
            .collect();
        files.sort();
        let listed: Vec<&str> = super::MIGRATIONS.iter().map(|(n, _)| *n).collect();
        assert_eq!(files, listed);
    }
}
