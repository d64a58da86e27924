//! Brings a database to the schema this binary was built for: the numbered migrations in `sql/migrations/`, then the
//! functions in `sql/functions/`, both embedded in the binary.
//!
//! Migrations are history: each is applied once, in order, in its own transaction, and recorded with its checksum in
//! `schema_migrations`. One already applied whose text changed is an error: the schema in a database must match the
//! code that runs on it, and a changed migration would never run again to make it so.
//!
//! Functions are current state: each file holds `CREATE OR REPLACE FUNCTION` statements, so applying it again is
//! harmless. A file is applied (in its own transaction) after the migrations, in name order, when its checksum differs
//! from the one recorded in `schema_functions` or none is recorded; so changing a function is a diff of its file, not
//! a new migration repeating it.
//!
//! Replicas starting together take an advisory lock, so exactly one applies anything and the others then find nothing
//! to do.

use std::fmt;

use anyhow::Context;

/// Every migration, in order, as (name, text); the name is the file's under `sql/migrations/` without `.sql`. A new
/// file there goes here too; a test checks the two agree.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_people",
        include_str!("../sql/migrations/0001_people.sql"),
    ),
    (
        "0002_ledger",
        include_str!("../sql/migrations/0002_ledger.sql"),
    ),
    (
        "0003_blocked_bot",
        include_str!("../sql/migrations/0003_blocked_bot.sql"),
    ),
    (
        "0004_partner_backoffice",
        include_str!("../sql/migrations/0004_partner_backoffice.sql"),
    ),
    (
        "0005_client_claim",
        include_str!("../sql/migrations/0005_client_claim.sql"),
    ),
    (
        "0006_consent_message",
        include_str!("../sql/migrations/0006_consent_message.sql"),
    ),
    (
        "0007_operations_key_index",
        include_str!("../sql/migrations/0007_operations_key_index.sql"),
    ),
    (
        "0008_ledger_foreign_keys",
        include_str!("../sql/migrations/0008_ledger_foreign_keys.sql"),
    ),
    (
        "0009_ledger_one_row_per_transfer",
        include_str!("../sql/migrations/0009_ledger_one_row_per_transfer.sql"),
    ),
];

/// Every function file, as (name, text); the name is the file's under `sql/functions/` without `.sql`. Applied in
/// this order, which a test keeps equal to the files' name order. A new file there goes here too.
pub const FUNCTIONS: &[(&str, &str)] = &[(
    "ledger_apply_batch",
    include_str!("../sql/functions/ledger_apply_batch.sql"),
)];

/// An arbitrary constant naming our advisory lock.
const MIGRATION_LOCK: i64 = 0x6c6f_7961_6c74;

/// What one [`migrate`] call applied: names of migrations and of function files, in the order applied. Both are
/// empty when the database was up to date.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Migrations applied for the first time.
    pub migrations: Vec<&'static str>,
    /// Function files applied because they were new or their checksum changed.
    pub functions: Vec<&'static str>,
}

impl Applied {
    /// True when the call changed nothing.
    pub fn is_empty(&self) -> bool {
        self.migrations.is_empty() && self.functions.is_empty()
    }
}

/// For operators: `none (up to date)`, or e.g. `0001_people, 0002_ledger; functions: ledger_apply_batch`.
impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none (up to date)");
        }
        let migrations = self.migrations.join(", ");
        let functions = self.functions.join(", ");
        match (migrations.is_empty(), functions.is_empty()) {
            (false, false) => write!(f, "{migrations}; functions: {functions}"),
            (false, true) => f.write_str(&migrations),
            _ => write!(f, "functions: {functions}"),
        }
    }
}

/// Applies the missing migrations and the new or changed function files of this binary.
///
/// Errors: a database error; an applied migration whose text changed (named); a migration or function file that
/// fails (named, with Postgres's error). Nothing of a failed file is kept, and the files before it stay applied.
pub async fn migrate(client: &mut tokio_postgres::Client) -> anyhow::Result<Applied> {
    migrate_sets(client, MIGRATIONS, FUNCTIONS).await
}

/// [`migrate`] with the given migrations and function files instead of the embedded ones (tests use it to apply a
/// file the binary does not carry). The same tables record both, so a name must mean the same file in every call.
pub async fn migrate_sets(
    client: &mut tokio_postgres::Client,
    migrations: &[(&'static str, &'static str)],
    functions: &[(&'static str, &'static str)],
) -> anyhow::Result<Applied> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .context("taking the migration lock")?;
    let result = apply_under_lock(client, migrations, functions).await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    result
}

async fn apply_under_lock(
    client: &mut tokio_postgres::Client,
    migrations: &[(&'static str, &'static str)],
    functions: &[(&'static str, &'static str)],
) -> anyhow::Result<Applied> {
    // Under the lock: two replicas creating the same table at once could otherwise collide in the catalogue.
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
             CREATE TABLE IF NOT EXISTS schema_functions (
                 name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());",
        )
        .await
        .context("creating schema_migrations and schema_functions")?;
    Ok(Applied {
        migrations: apply_migrations(client, migrations).await?,
        functions: apply_functions(client, functions).await?,
    })
}

async fn apply_migrations(
    client: &mut tokio_postgres::Client,
    migrations: &[(&'static str, &'static str)],
) -> anyhow::Result<Vec<&'static str>> {
    let mut applied = Vec::new();
    for (name, sql) in migrations {
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
                    "migration sql/migrations/{name}.sql was changed after it was applied"
                );
            }
            None => {
                let tx = client.transaction().await?;
                tx.batch_execute(sql)
                    .await
                    .with_context(|| format!("applying migration sql/migrations/{name}.sql"))?;
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

async fn apply_functions(
    client: &mut tokio_postgres::Client,
    functions: &[(&'static str, &'static str)],
) -> anyhow::Result<Vec<&'static str>> {
    let mut applied = Vec::new();
    for (name, sql) in functions {
        let checksum = checksum(sql);
        let stored: Option<String> = client
            .query_opt(
                "SELECT checksum FROM schema_functions WHERE name = $1",
                &[name],
            )
            .await?
            .map(|row| row.get(0));
        if stored.as_deref() == Some(checksum.as_str()) {
            continue;
        }
        let tx = client.transaction().await?;
        tx.batch_execute(sql)
            .await
            .with_context(|| format!("applying function file sql/functions/{name}.sql"))?;
        tx.execute(
            "INSERT INTO schema_functions (name, checksum) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()",
            &[name, &checksum],
        )
        .await?;
        tx.commit().await?;
        applied.push(*name);
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
    /// The `.sql` files of `sql/<dir>`, without the extension, in name order.
    fn files(dir: &str) -> Vec<String> {
        let dir = format!("{}/sql/{dir}", env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".sql"))
            .map(|n| n.trim_end_matches(".sql").to_string())
            .collect();
        files.sort();
        files
    }

    #[test]
    fn every_file_in_sql_migrations_is_a_listed_migration_in_order() {
        let listed: Vec<&str> = super::MIGRATIONS.iter().map(|(n, _)| *n).collect();
        assert_eq!(files("migrations"), listed);
    }

    #[test]
    fn every_file_in_sql_functions_is_a_listed_function_file_in_order() {
        let listed: Vec<&str> = super::FUNCTIONS.iter().map(|(n, _)| *n).collect();
        assert_eq!(files("functions"), listed);
    }

    #[test]
    fn no_loose_sql_files_outside_the_two_directories() {
        assert!(files("").is_empty(), "{:?}", files(""));
    }

    #[test]
    fn operators_read_what_was_applied() {
        let mut applied = super::Applied::default();
        assert_eq!(applied.to_string(), "none (up to date)");
        applied.functions.push("ledger_apply_batch");
        assert_eq!(applied.to_string(), "functions: ledger_apply_batch");
        applied.migrations = vec!["0001_people", "0002_ledger"];
        assert_eq!(
            applied.to_string(),
            "0001_people, 0002_ledger; functions: ledger_apply_batch"
        );
    }
}
