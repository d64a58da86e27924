//! The test world: a fresh database per test, cloned from a template migrated once per schema version, and the
//! product's own services started on it.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use loyalty::config::{Secret, Settings};
use loyalty::{Services, migrate};
use tokio_postgres::NoTls;

pub fn admin_pg_url() -> String {
    std::env::var("LOYALTY_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://loyalty@127.0.0.1:55432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("LOYALTY_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:56379".into())
}

/// A URL for `database` on the test server.
pub fn db_url(database: &str) -> String {
    loyalty::db::url_with_database(&admin_pg_url(), database)
}

pub async fn connect(url: &str) -> tokio_postgres::Client {
    let config = tokio_postgres::Config::from_str(url).expect("valid test database URL");
    let (client, connection) = config.connect(NoTls).await.unwrap_or_else(|e| {
        panic!("cannot reach the test Postgres at {url}: {e}\nstart it with `scripts/services.sh start` (or `make test`)")
    });
    actix_rt::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Serializes template creation and cloning across the test processes nextest runs in parallel.
const TEMPLATE_LOCK: i64 = 0x7465_6d70;

/// The name of a database holding a freshly migrated schema, created on first use for this set of migrations and
/// function files (a changed function gives a fresh template too).
async fn template(admin: &tokio_postgres::Client) -> String {
    let all: String = migrate::MIGRATIONS
        .iter()
        .chain(migrate::FUNCTIONS)
        .map(|(n, sql)| format!("{n}{}", migrate::checksum(sql)))
        .collect();
    let name = format!("loyalty_tmpl_{}", migrate::checksum(&all));
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .expect("query");
    if exists.is_none() {
        let building = format!("{name}_building");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {building}"))
            .await
            .expect("drop");
        admin
            .batch_execute(&format!("CREATE DATABASE {building}"))
            .await
            .expect("create template");
        {
            let mut client = connect(&db_url(&building)).await;
            migrate::migrate(&mut client)
                .await
                .expect("migrating the template");
        }
        // The connection above must be gone before the template can be renamed or cloned.
        for _ in 0..100 {
            let busy: i64 = admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                    &[&building],
                )
                .await
                .expect("query")
                .get(0);
            if busy == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        admin
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
            .await
            .expect("rename");
    }
    name
}

/// Drops the databases of test processes that have ended, and templates of other migration sets, so repeated test
/// runs do not fill the disk. A database is kept while the process named in it runs (nextest runs every test in a
/// process of its own). Called under `TEMPLATE_LOCK`.
async fn drop_leftovers(admin: &tokio_postgres::Client, template: &str) {
    let names: Vec<String> = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'loyalty\\_test\\_%' OR datname LIKE 'loyalty\\_tmpl\\_%'",
            &[],
        )
        .await
        .expect("list databases")
        .iter()
        .map(|row| row.get(0))
        .collect();
    for name in names {
        let stale = match name.strip_prefix("loyalty_test_") {
            Some(rest) => rest
                .split('_')
                .next()
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()),
            None => name != template && !name.ends_with("_building"),
        };
        if stale {
            // Best effort: a database another session still holds is left for a later run.
            let _ = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// A new database with the current schema; its name is unique across processes and runs.
pub async fn fresh_database() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let admin = connect(&admin_pg_url()).await;
    admin
        .execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK])
        .await
        .expect("lock");
    let template = template(&admin).await;
    drop_leftovers(&admin, &template).await;
    let name = format!(
        "loyalty_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    );
    admin
        .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .await
        .expect("clone template");
    admin
        .execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK])
        .await
        .expect("unlock");
    name
}

/// Everything one test needs: its database, settings pointing at it, and the running services.
pub struct TestWorld {
    pub database: String,
    pub settings: Settings,
    pub services: Services,
    pub db: tokio_postgres::Client,
}

impl TestWorld {
    pub async fn new() -> TestWorld {
        TestWorld::with_settings(|_| {}).await
    }

    pub async fn with_settings(adjust: impl FnOnce(&mut Settings)) -> TestWorld {
        let database = fresh_database().await;
        let mut settings = Settings::default();
        settings.database.url = Secret::new(db_url(&database));
        settings.redis.url = Secret::new(redis_url());
        settings.log.level = "warn".into();
        adjust(&mut settings);
        // Shown by the test runner only when a test fails.
        loyalty::telemetry::init_text("warn");
        let services = Services::start(settings.clone())
            .await
            .expect("services start");
        let db = connect(&db_url(&database)).await;
        TestWorld {
            database,
            settings,
            services,
            db,
        }
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.db
            .query_one(sql, &[])
            .await
            .expect("count query")
            .get(0)
    }
}

/// The text a Russian-speaking user sees for `key`: tests compare replies with the catalogue, never with wording typed
/// into the test, so rewording a message breaks no test.
pub fn ru(key: &impl fsm::text::TextKey) -> String {
    fsm::text::render(fsm::Lang::Ru, key)
}

/// The same in English.
pub fn en(key: &impl fsm::text::TextKey) -> String {
    fsm::text::render(fsm::Lang::En, key)
}

/// Polls `probe` until it returns `Some`, failing the test (naming `what`) after `wait`.
pub async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    wait: std::time::Duration,
    what: &str,
    mut probe: impl FnMut() -> F,
) -> T {
    let start = std::time::Instant::now();
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(start.elapsed() < wait, "gave up waiting: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
}

/// The dialogue environment of `services` as the product builds it (welcome bonus 100, the default receipt limit,
/// a partner cache of 1 s, `admins` as the admin allow-list), for tests that call the driver directly.
pub fn dialogue_env(services: &loyalty::Services, admins: &[i64]) -> actors::dialogue::DialogueEnv {
    actors::dialogue::DialogueEnv {
        pg: services.pg.clone(),
        ledger: services.ledger.clone(),
        welcome_bonus: fsm::Points::new(100).expect("points"),
        receipt_max: fsm::Kopecks::DEFAULT_RECEIPT_MAX,
        partners: std::sync::Arc::new(actors::db::partner_cache::PartnerCache::new(
            std::time::Duration::from_secs(1),
        )),
        admin_ids: std::sync::Arc::new(admins.iter().copied().collect()),
        office: std::sync::Arc::new(Default::default()),
        money: Default::default(),
        admin: std::sync::Arc::new(Default::default()),
        outbox: None,
        miniapp_url: None,
    }
}
