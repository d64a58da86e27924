//! `loyalty backup` and `loyalty restore`: the configured database through Postgres's own `pg_dump` and
//! `pg_restore` (custom format), which must be on `PATH` (Debian's `postgresql-client`, pulled in by `postgresql`).
//!
//! The database URL is a secret: it reaches the tools as libpq environment variables (`PGPASSWORD` and the rest),
//! never as an argument, because any user on the machine can read another process's arguments in `ps` while only
//! the same user (and root) can read its environment. Only Postgres is backed up: Redis holds dialogue state,
//! deduplication marks and unsent replies, which its AOF keeps (see the runbook in the README).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::str::FromStr;

use anyhow::Context;
use tokio_postgres::config::{Host, SslMode};

use crate::config::{DatabaseSettings, Settings};

/// Backups this command writes are named `loyalty-<UTC time to the millisecond>.dump`; only names of exactly this
/// shape are ever counted or deleted by the retention, so other files in the directory are safe.
const PREFIX: &str = "loyalty-";
const SUFFIX: &str = ".dump";
/// `20261129T201615.123Z`: sorts by time as text.
const STAMP_FORMAT: &str = "%Y%m%dT%H%M%S%.3fZ";

/// `loyalty backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The directory the backup is written to (created if missing).
    #[arg(long, default_value = "backups")]
    pub dir: PathBuf,
    /// How many of this command's backups to keep in `--dir`, newest first; older ones are deleted (other files
    /// are never touched).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: u32,
}

/// `loyalty restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A file written by `loyalty backup` (pg_dump's custom format).
    #[arg(long)]
    pub file: PathBuf,
    /// Restore into a database that already holds tables: the backup's objects are dropped and recreated
    /// (tables the backup does not have are left alone).
    #[arg(long)]
    pub force: bool,
}

/// Dumps the configured database into a new timestamped file in `args.dir` (mode 0600), then deletes our backups beyond the
/// newest `args.keep`. Prints the new file's path and each deleted one. Errors: the directory cannot be written,
/// `pg_dump` is missing or fails (its own message is on stderr; a half-written file is removed).
pub fn backup(settings: &Settings, args: &BackupArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating the backup directory {}", args.dir.display()))?;
    let stamp = jiff::Timestamp::now().strftime(STAMP_FORMAT).to_string();
    let file = args.dir.join(format!("{PREFIX}{stamp}{SUFFIX}"));
    anyhow::ensure!(
        !file.exists(),
        "{} exists already; try again",
        file.display()
    );
    // Written under another name and renamed when complete, so a failed or interrupted dump is never taken for a
    // backup (nor counted by the retention).
    let partial = args.dir.join(format!(".{PREFIX}{stamp}{SUFFIX}.partial"));
    let status = pg_tool("pg_dump", &settings.database)?
        .args(["--format=custom", "--no-password", "--file"])
        .arg(&partial)
        .status()
        .context("running pg_dump (install Debian's postgresql-client)")?;
    if !status.success() {
        let _ = std::fs::remove_file(&partial);
        anyhow::bail!("pg_dump failed ({status}); no backup was written");
    }
    // The dump holds every client's phone number: readable by its owner only, whatever the umask.
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("restricting {}", partial.display()))?;
    std::fs::rename(&partial, &file)
        .with_context(|| format!("renaming the finished dump to {}", file.display()))?;
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    println!("backup written: {} ({size} bytes)", file.display());
    for old in beyond_retention(&args.dir, args.keep as usize)? {
        std::fs::remove_file(&old)
            .with_context(|| format!("deleting the old backup {}", old.display()))?;
        println!("old backup deleted: {}", old.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Restores `args.file` into the configured database, which must hold no tables, views, sequences or functions of
/// its own unless `args.force`; migrates it to this release's schema (a backup from an earlier release); then runs
/// `check-ledger` and returns its exit code (1 if an invariant is violated). `pg_restore` is one transaction: when it
/// fails, nothing of it remains. Errors after it (a backup from a newer release, a migration that fails) leave the
/// restored database as restored, and say so.
pub async fn restore(settings: &Settings, args: &RestoreArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.file.is_file(),
        "{} is not a backup file",
        args.file.display()
    );
    let client = crate::db::connect(&settings.database).await?;
    let objects: i64 = client
        .query_one(USER_OBJECTS_SQL, &[])
        .await
        .context("looking at the target database")?
        .get(0);
    drop(client);
    let database = database_name(&settings.database)?;
    anyhow::ensure!(
        objects == 0 || args.force,
        "the database {database:?} is not empty ({objects} tables, views, sequences or functions): restore only into \
         an empty database (CREATE DATABASE …), or pass --force to replace the objects the backup holds"
    );
    let mut restore = pg_tool("pg_restore", &settings.database)?;
    // --no-owner and --no-acl: the restoring role owns everything, whatever role made the backup.
    restore.args([
        "--no-password",
        "--no-owner",
        "--no-acl",
        "--single-transaction",
        "--exit-on-error",
    ]);
    if args.force {
        restore.args(["--clean", "--if-exists"]);
    }
    // A bare database name (the rest comes from the environment); with no -d pg_restore would print SQL instead.
    let status = restore
        .arg(format!("--dbname={database}"))
        .arg(&args.file)
        .status()
        .context("running pg_restore (install Debian's postgresql-client)")?;
    anyhow::ensure!(
        status.success(),
        "pg_restore failed ({status}); the database is as it was"
    );
    // A backup taken by an earlier release has that release's schema: bring it to this one's (as `serve` would at
    // start-up) before the ledger is checked with this release's invariants. One from a newer release is left alone.
    let mut client = crate::db::connect(&settings.database).await?;
    let recorded: Vec<String> = client
        .query("SELECT name FROM schema_migrations ORDER BY name", &[])
        .await
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default();
    let unknown: Vec<&str> = recorded
        .iter()
        .map(String::as_str)
        .filter(|name| {
            !crate::migrate::MIGRATIONS
                .iter()
                .any(|(known, _)| known == name)
        })
        .collect();
    anyhow::ensure!(
        unknown.is_empty(),
        "restored {} into {database:?}, but it comes from a newer release (migrations {}): this release neither \
         migrates nor checks it; restore it with that release",
        args.file.display(),
        unknown.join(", ")
    );
    let applied = crate::migrate::migrate(&mut client).await.with_context(|| {
        format!("restored into {database:?}, but migrating it to this release's schema failed (it stays as restored)")
    })?;
    drop(client);
    println!(
        "restored {} into {database:?}; migrations applied: {applied}; checking the ledger:",
        args.file.display()
    );
    crate::cli::check_ledger(settings).await
}

/// Tables, views, sequences, foreign tables and functions outside Postgres's own schemas that no extension owns.
const USER_OBJECTS_SQL: &str = "
    SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                 AND d.objid = c.oid AND d.deptype = 'e'))
         + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                 AND d.objid = p.oid AND d.deptype = 'e'))";

/// `program` set up to reach the configured database through libpq's environment variables, so that neither the
/// password nor the URL appears among its arguments. Variables that would override these (`PGSERVICE`,
/// `PGHOSTADDR`) are removed.
fn pg_tool(program: &str, database: &DatabaseSettings) -> anyhow::Result<Command> {
    let mut command = Command::new(program);
    command.env_remove("PGSERVICE").env_remove("PGHOSTADDR");
    for (name, value) in libpq_env(database)? {
        command.env(name, value);
    }
    Ok(command)
}

/// The libpq variables equivalent to `database.url`: host(s), port(s), user, password, database, SSL mode.
fn libpq_env(database: &DatabaseSettings) -> anyhow::Result<Vec<(&'static str, String)>> {
    let config =
        tokio_postgres::Config::from_str(database.url.expose()).context("invalid database.url")?;
    let mut env = Vec::new();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            Host::Tcp(name) => name.clone(),
            Host::Unix(dir) => dir.display().to_string(),
        })
        .collect();
    if !hosts.is_empty() {
        env.push(("PGHOST", hosts.join(",")));
    }
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    if !ports.is_empty() {
        env.push(("PGPORT", ports.join(",")));
    }
    if let Some(user) = config.get_user() {
        env.push(("PGUSER", user.to_string()));
    }
    if let Some(password) = config.get_password() {
        env.push(("PGPASSWORD", String::from_utf8_lossy(password).into_owned()));
    }
    env.push(("PGDATABASE", database_name(database)?));
    let ssl = match config.get_ssl_mode() {
        SslMode::Disable => "disable",
        SslMode::Require => "require",
        _ => "prefer",
    };
    env.push(("PGSSLMODE", ssl.to_string()));
    env.push((
        "PGCONNECT_TIMEOUT",
        database
            .connect_timeout_ms
            .div_ceil(1_000)
            .max(2)
            .to_string(),
    ));
    Ok(env)
}

/// The database `database.url` names; as in libpq, the user's name when it names none.
fn database_name(database: &DatabaseSettings) -> anyhow::Result<String> {
    let config =
        tokio_postgres::Config::from_str(database.url.expose()).context("invalid database.url")?;
    config
        .get_dbname()
        .or(config.get_user())
        .map(str::to_string)
        .context("database.url names neither a database nor a user")
}

/// Our backups in `dir` beyond the newest `keep`, oldest last.
fn beyond_retention(dir: &Path, keep: usize) -> anyhow::Result<Vec<PathBuf>> {
    let mut ours: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| is_ours(name))
        .collect();
    ours.sort_unstable_by(|a, b| b.cmp(a));
    Ok(ours.into_iter().skip(keep).map(|n| dir.join(n)).collect())
}

/// `loyalty-YYYYMMDDTHHMMSS.mmmZ.dump` and nothing else.
fn is_ours(name: &str) -> bool {
    let Some(stamp) = name
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
    else {
        return false;
    };
    let shape = "dddddddd?dddddd.dddZ";
    stamp.len() == shape.len()
        && stamp.bytes().zip(shape.bytes()).all(|(c, s)| match s {
            b'd' => c.is_ascii_digit(),
            b'?' => c == b'T',
            other => c == other,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn the_password_goes_to_the_environment_never_to_the_arguments() {
        let database = DatabaseSettings {
            url: Secret::new(
                "postgres://ops:hunter2@db.internal:6543/loyalty?sslmode=require".into(),
            ),
            ..DatabaseSettings::default()
        };
        let command = pg_tool("pg_dump", &database).expect("valid URL");
        let args: Vec<_> = command.get_args().collect();
        assert!(
            args.iter()
                .all(|a| !a.to_string_lossy().contains("hunter2")),
            "{args:?}"
        );
        let env: std::collections::HashMap<_, _> = command
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_str()?.to_string(), v?.to_str()?.to_string())))
            .collect();
        for (name, value) in [
            ("PGPASSWORD", "hunter2"),
            ("PGHOST", "db.internal"),
            ("PGPORT", "6543"),
            ("PGUSER", "ops"),
            ("PGDATABASE", "loyalty"),
            ("PGSSLMODE", "require"),
        ] {
            assert_eq!(env.get(name).map(String::as_str), Some(value), "{name}");
        }
    }

    #[test]
    fn only_our_own_file_names_count_for_retention() {
        let stamp = jiff::Timestamp::from_second(1_800_000_000)
            .expect("in range")
            .strftime(STAMP_FORMAT)
            .to_string();
        assert_eq!(stamp, "20270115T080000.000Z");
        assert!(is_ours(&format!("loyalty-{stamp}.dump")));
        for other in [
            "loyalty-manual.dump",
            "loyalty-20270115T080000.000Z.dump.partial",
            ".loyalty-20270115T080000.000Z.dump.partial",
            "other-20270115T080000.000Z.dump",
            "loyalty-20270115T080000Z.dump",
        ] {
            assert!(!is_ours(other), "{other}");
        }
    }
}
