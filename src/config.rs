//! Configuration, layered: built-in defaults, then an optional TOML file, then `LOYALTY__SECTION__KEY` environment
//! variables. Every limit has a name (qualifier last: `pool_size_max`) and a default; secrets are wrapped in
//! [`Secret`] so no `Debug` or log line ever prints them.

use std::fmt;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Deserializer};

/// A value that must never be printed: its `Debug` and `Display` say `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Secret<T> {
        Secret(value)
    }

    /// The secret itself, for the one place that needs it (a connection, a signature).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret<String> {
    /// Accepts a number too: an environment variable of digits arrives as one.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            S(String),
            I(i64),
        }
        Ok(Secret(match Raw::deserialize(d)? {
            Raw::S(s) => s,
            Raw::I(i) => i.to_string(),
        }))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub http: HttpSettings,
    pub ledger: actors::LedgerConfig,
    pub money: MoneySettings,
    pub telegram: TelegramSettings,
    pub sessions: SessionSettings,
    pub log: LogSettings,
    /// The network as a whole (its calendar).
    pub network: NetworkSettings,
    /// Partners: onboarding categories, the limits of their money dialogues.
    pub partners: PartnerSettings,
    pub miniapp: MiniAppSettings,
    pub dashboard: DashboardSettings,
    pub sentry: SentrySettings,
}

/// Error reporting to Sentry (or a compatible service).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SentrySettings {
    /// The project's DSN; empty (the default) reports nothing. The `SENTRY_DSN` environment variable is used when
    /// this is empty.
    pub dsn: Secret<String>,
}

impl Default for SentrySettings {
    fn default() -> Self {
        SentrySettings {
            dsn: Secret::new(String::new()),
        }
    }
}

/// The network as a whole.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkSettings {
    /// IANA time zone of the network's calendar (read from the tz database built into the binary): promotions run
    /// by its dates; "today" and "the last 30 days" of `/stats` begin at its midnights; `/find` shows its dates.
    pub time_zone: String,
}

impl Default for NetworkSettings {
    fn default() -> Self {
        NetworkSettings {
            time_zone: fsm::calendar::DEFAULT_TIME_ZONE.into(),
        }
    }
}

/// Partners: what an applicant picks from, and the limits of the money dialogues.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PartnerSettings {
    /// The business categories an applicant picks from (one button each), in this order; stored as written here.
    pub categories: Vec<String>,
    /// Their English labels, in the same order (empty: the names above in both languages).
    pub categories_en: Vec<String>,
    /// `/find` lookups per partner per clock hour; beyond, "too many lookups" and no lookup, so phone numbers
    /// cannot be tried one after another.
    pub find_lookups_per_hour: u32,
    /// Clients looked up by phone or member code in `/accrue` and `/redeem`, per partner per clock hour: a busy till
    /// stays far below it, and nobody can walk the phone numbers through the till instead of `/find`.
    pub till_lookups_per_hour: u32,
    /// How often each replica looks for redemption requests past their expiry (ms).
    pub redemption_sweep_ms: u64,
}

impl Default for PartnerSettings {
    fn default() -> Self {
        PartnerSettings {
            categories: [
                "Кафе и рестораны",
                "Магазины",
                "Красота и здоровье",
                "Спорт и фитнес",
                "Услуги",
                "Другое",
            ]
            .map(String::from)
            .to_vec(),
            categories_en: [
                "Cafés and restaurants",
                "Shops",
                "Beauty and health",
                "Sports and fitness",
                "Services",
                "Other",
            ]
            .map(String::from)
            .to_vec(),
            find_lookups_per_hour: 20,
            till_lookups_per_hour: 300,
            redemption_sweep_ms: 5_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// A libpq-style URL; it may hold a password, hence secret.
    pub url: Secret<String>,
    /// Connections for request handling and queries.
    pub pool_size_max: usize,
    /// Connections reserved for the ledger actor's transactions.
    pub ledger_pool_size_max: usize,
    /// How long to wait for a free connection before answering "unavailable".
    pub connect_timeout_ms: u64,
    /// How long a statement on the pools' connections waits for a lock (Postgres `lock_timeout`, ms; 0: forever)
    /// before it fails as transient. A row held by a transaction that stays open (an operator's psql session) then
    /// costs an update retries and ends in a dead letter, instead of an update that never ends: a polling bot
    /// confirms no update past it, and holds at most 100 (getUpdates' limit), so it would stop fetching. The
    /// migrator's own connection waits for the migration lock without it.
    pub lock_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    /// A single Redis node (used when `cluster_urls` is empty).
    pub url: Secret<String>,
    /// Seed nodes of a Redis Cluster (`["redis://10.0.0.1:6379", ...]`, any reachable subset: the client learns
    /// the others and follows failovers); empty means the single node at `url`. Environment:
    /// `LOYALTY__REDIS__CLUSTER_URLS='["redis://a:6379","redis://b:6379"]'`.
    pub cluster_urls: Vec<Secret<String>>,
    /// Kept so existing files still load; unused since every Redis user shares one multiplexed connection.
    pub pool_size_max: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Where the health, webhook and sandbox endpoints listen.
    pub listen: String,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// On SIGTERM or Ctrl-C the process exits within this long (ms): it stops taking updates, lets the steps under
    /// way commit, sends what it can of the replies in hand and leaves the rest in the Redis streams for another
    /// replica.
    pub shutdown_grace_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MoneySettings {
    pub welcome_bonus_points: i64,
    pub receipt_max_kopecks: i64,
    pub cashback_default_bp: u32,
    pub cashback_min_bp: u32,
    pub cashback_max_bp: u32,
    pub redeem_cap_percent: u32,
    pub redemption_consent_ttl_s: u64,
}

/// How the three bots reach Telegram (or the sandbox), and the limits on traffic both ways.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramSettings {
    /// The Bot API server, without a trailing slash: Telegram's, a local Bot API server, or the sandbox's `/tg`.
    pub api_url: String,
    pub partner_token: Secret<String>,
    pub client_token: Secret<String>,
    pub admin_token: Secret<String>,
    /// `polling` (one getUpdates loop per bot) or `webhook` (Telegram posts to `/webhook/{bot}`).
    pub mode: String,
    /// With `webhook`: the public https base URL Telegram can reach; `setWebhook` is called at start-up.
    pub public_url: String,
    /// Sent by Telegram in `X-Telegram-Bot-Api-Secret-Token`; a request without it is refused with 403.
    pub webhook_secret: Secret<String>,
    /// With `webhook`: how many updates Telegram may post at once (setWebhook's `max_connections`, 1–100; Telegram's
    /// own default is 40). Each post is answered only after its update is stored, so this bounds the updates in
    /// flight per bot: 100 keeps a burst of many chats from queueing behind 40 slow answers.
    pub webhook_max_connections: u8,
    /// Seconds one getUpdates call may wait.
    pub poll_timeout_s: u32,
    /// Incoming updates per user per second, and the burst above it, before updates are dropped.
    pub updates_per_user_per_s: u32,
    pub updates_burst_per_user: u32,
    /// Incoming updates per second for the whole process (all bots, all users).
    pub updates_global_per_s: u32,
    /// Outgoing messages per chat per second, and the burst above it (Telegram: about 1/s per chat).
    pub sends_per_chat_per_s: u32,
    pub sends_burst_per_chat: u32,
    /// Outgoing messages per bot per second (Telegram: about 30/s).
    pub sends_per_bot_per_s: u32,
    /// Whether the per-user update limit and the per-bot send limit also hold across replicas (a GCRA in Redis
    /// behind the local limiters, issue 17). Off: each replica limits alone, so N replicas admit N times the rate.
    pub shared_limits: bool,
    /// Messages waiting to be sent per bot; beyond it new ones are dropped and counted.
    pub outbox_queue_max: usize,
    /// Concurrent senders per bot; a chat always uses the same one, so its messages keep their order.
    pub outbox_lanes_per_bot: usize,
    /// Redis streams per bot that hold the replies between the commit and the send (a chat keeps to one, so its
    /// replies keep their order); 0 means `outbox_lanes_per_bot`. Changing it strands the entries of the streams
    /// that are no longer read: drain first.
    pub outbox_streams_per_bot: usize,
    /// How long one process's claim on a stream lasts unless renewed (ms): after a crash, its unsent replies are
    /// sent by a survivor (or the restarted process) after at most this long.
    pub outbox_lease_ms: u64,
    /// Stream entries read in one go.
    pub outbox_read_batch: usize,
    /// Admins' Telegram ids, checked on every message and button press.
    pub admin_ids: Vec<i64>,
    /// The client bot's username without `@`, for the partners' invitation links (`https://t.me/<it>?start=...`).
    pub client_bot_username: String,
    /// Tries of one update that fails with a transient error (Postgres or Redis unavailable, a lock, a
    /// serialization failure) before it is parked as a dead letter and acknowledged, so its bot moves on
    /// (issue 12; `loyalty dead-letters replay` runs it again).
    pub update_attempts_max: u32,
    /// A failing update is parked only once its first failure is also at least this old (seconds): updates that
    /// arrive during a brief outage (a Postgres restart, a Redis failover) are retried until it ends, however fast
    /// the transport redelivers them, rather than parked.
    pub dead_letter_after_s: u64,
    /// `/readyz` answers 503, naming the bot, while one of its updates has waited longer than this to be accepted
    /// (seconds since it was first seen).
    pub stuck_update_max_s: u64,
    /// `/readyz` answers 503, naming `dead_letters`, while more updates than this are parked as dead letters. The
    /// count is the network's, so every replica says the same: a limit for "something is systematically broken".
    pub dead_letter_ready_max: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    /// Prefix of every Redis key, so several networks (or tests) can share one Redis.
    pub redis_namespace: String,
    /// A dialogue left alone this long is forgotten.
    pub state_ttl_s: u64,
    /// How long a processed update id is remembered for deduplication.
    pub dedup_ttl_s: u64,
    /// A session actor with no update for this long stops (its state stays in Redis).
    pub idle_stop_s: u64,
    /// Threads the session actors run on; 0 means one per core beyond the first (with two cores or fewer: the main
    /// thread, beside the pollers, the outbox and the ledger). 1 is the main thread.
    pub worker_threads: usize,
    /// How long an approved partner read by one step serves the next steps (ms; 0 reads Postgres on every step).
    /// A partner blocked elsewhere keeps the menu at most this long; the ledger refuses their operations at once.
    pub partner_cache_ms: u64,
    /// Replies and notices travel in the Redis outbox streams, appended by the commit itself (true, the default), so
    /// a crash between the commit and the send loses none (issue 12, item 8). `false` sends them from memory after
    /// the commit, as the engine did before, and loses those in flight in a crash: it exists only so the benchmark
    /// can measure what durability costs (`loyalty-load dialogue-external --replies durable,memory`). Never turn it
    /// off in production.
    pub durable_replies: bool,
}

impl Default for TelegramSettings {
    fn default() -> Self {
        TelegramSettings {
            api_url: "https://api.telegram.org".into(),
            partner_token: Secret::new(String::new()),
            client_token: Secret::new(String::new()),
            admin_token: Secret::new(String::new()),
            mode: "polling".into(),
            public_url: String::new(),
            webhook_secret: Secret::new(String::new()),
            webhook_max_connections: 100,
            poll_timeout_s: 25,
            updates_per_user_per_s: 5,
            updates_burst_per_user: 10,
            updates_global_per_s: 5_000,
            sends_per_chat_per_s: 1,
            sends_burst_per_chat: 3,
            sends_per_bot_per_s: 30,
            shared_limits: true,
            outbox_queue_max: 10_000,
            outbox_lanes_per_bot: 8,
            outbox_streams_per_bot: 0,
            outbox_lease_ms: 10_000,
            outbox_read_batch: 64,
            admin_ids: Vec::new(),
            client_bot_username: "loyalty_client_bot".into(),
            update_attempts_max: 5,
            dead_letter_after_s: 30,
            stuck_update_max_s: 60,
            dead_letter_ready_max: 1_000,
        }
    }
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            redis_namespace: "loyalty:".into(),
            state_ttl_s: 7 * 86_400,
            dedup_ttl_s: 86_400,
            idle_stop_s: 600,
            worker_threads: 0,
            partner_cache_ms: 2_000,
            durable_replies: true,
        }
    }
}

/// The client Mini App (`/app/`) and its JSON API.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MiniAppSettings {
    /// The address the client bot's menu button opens (Telegram wants https). Empty: `telegram.public_url` +
    /// `/app/`; with neither, the menu button is not set. The sandbox uses its own address.
    pub url: String,
    /// How old Telegram's `initData` may be (seconds since its `auth_date`) before the API refuses it with 401.
    pub init_data_max_age_s: u64,
    /// Operations in one page of the history ("load more" fetches the next).
    pub history_page_max: u32,
}

impl Default for MiniAppSettings {
    fn default() -> Self {
        MiniAppSettings {
            url: String::new(),
            init_data_max_age_s: 3_600,
            history_page_max: 20,
        }
    }
}

/// The admins' web dashboard (`/dashboard/`, SPEC §8) and the admin bot's one-time login links to it.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DashboardSettings {
    /// The dashboard's address without a trailing `/`, as admins' browsers reach it. Empty: `telegram.public_url` +
    /// `/dashboard`; the sandbox uses its own address.
    pub url: String,
    /// Seconds a `/dashboard` login link stays valid; it works once (SPEC §6).
    pub login_link_ttl_s: u64,
    /// Seconds without a request after which a dashboard session ends.
    pub session_idle_s: u64,
    /// Seconds after sign-in after which a dashboard session ends, however active.
    pub session_absolute_s: u64,
}

impl Default for DashboardSettings {
    fn default() -> Self {
        DashboardSettings {
            url: String::new(),
            login_link_ttl_s: 300,
            session_idle_s: 1_800,
            session_absolute_s: 43_200,
        }
    }
}

impl DashboardSettings {
    /// The dashboard's address: `url`, or `public_url` + `/dashboard` (empty when neither is set).
    pub fn base_url(&self, public_url: &str) -> String {
        if !self.url.is_empty() {
            self.url.trim_end_matches('/').to_string()
        } else if !public_url.is_empty() {
            format!("{}/dashboard", public_url.trim_end_matches('/'))
        } else {
            String::new()
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (30..=3_600).contains(&self.login_link_ttl_s),
            "dashboard.login_link_ttl_s must be 30..=3600"
        );
        anyhow::ensure!(
            self.session_idle_s >= 60 && self.session_idle_s <= self.session_absolute_s,
            "dashboard.session_idle_s must be at least 60 and at most dashboard.session_absolute_s"
        );
        anyhow::ensure!(
            self.session_absolute_s <= 7 * 86_400,
            "dashboard.session_absolute_s must be at most 7 days"
        );
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// error, warn, info, debug or trace; or per module, `info,loyalty::telegram=debug` (tracing's `Targets`).
    pub level: String,
    /// `text` (one readable line per event, the default) or `json` (one JSON object per line, for log shippers).
    pub format: String,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: Secret::new("postgres://loyalty@127.0.0.1:55432/loyalty".into()),
            pool_size_max: 16,
            ledger_pool_size_max: 4,
            connect_timeout_ms: 5_000,
            lock_timeout_ms: 5_000,
        }
    }
}

impl Default for RedisSettings {
    fn default() -> Self {
        RedisSettings {
            url: Secret::new("redis://127.0.0.1:56379".into()),
            cluster_urls: Vec::new(),
            pool_size_max: 32,
        }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            listen: "127.0.0.1:8080".into(),
            workers: 0,
            shutdown_grace_ms: 2_000,
        }
    }
}

impl Default for MoneySettings {
    fn default() -> Self {
        MoneySettings {
            welcome_bonus_points: 100,
            receipt_max_kopecks: fsm::Kopecks::DEFAULT_RECEIPT_MAX.get(),
            cashback_default_bp: 500,
            cashback_min_bp: 100,
            cashback_max_bp: 3_000,
            redeem_cap_percent: 100,
            redemption_consent_ttl_s: 300,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            level: "info".into(),
            format: "text".into(),
        }
    }
}

/// The prefix of environment overrides: `LOYALTY__DATABASE__URL` sets `database.url`.
pub const ENV_PREFIX: &str = "LOYALTY__";

impl Settings {
    /// Defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading configuration file {}", path.display()))?;
                toml::from_str::<toml::Table>(&text)
                    .with_context(|| format!("parsing configuration file {}", path.display()))?
            }
            None => toml::Table::new(),
        };
        overlay_env(&mut table, std::env::vars())?;
        let settings: Settings = toml::Value::Table(table)
            .try_into()
            .context("invalid configuration")?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let m = &self.money;
        anyhow::ensure!(
            m.welcome_bonus_points >= 0,
            "money.welcome_bonus_points must not be negative"
        );
        anyhow::ensure!(
            m.receipt_max_kopecks > 0,
            "money.receipt_max_kopecks must be positive"
        );
        anyhow::ensure!(
            m.cashback_min_bp >= 1
                && m.cashback_min_bp <= m.cashback_default_bp
                && m.cashback_default_bp <= m.cashback_max_bp
                && m.cashback_max_bp <= 10_000,
            "money: need 1 <= cashback_min_bp <= cashback_default_bp <= cashback_max_bp <= 10000"
        );
        anyhow::ensure!(
            (1..=100).contains(&m.redeem_cap_percent),
            "money.redeem_cap_percent must be 1..=100"
        );
        anyhow::ensure!(
            self.database.pool_size_max >= 1 && self.database.ledger_pool_size_max >= 1,
            "pool sizes >= 1"
        );
        anyhow::ensure!(
            self.ledger.batch_max >= 1 && self.ledger.inflight_max >= 1,
            "ledger batch/inflight >= 1"
        );
        anyhow::ensure!(
            !self.sessions.redis_namespace.contains(['{', '}']),
            "sessions.redis_namespace must not contain '{{' or '}}' (Redis Cluster hash tags)"
        );
        self.telegram.validate_retries()?;
        self.office_settings()?;
        self.miniapp.validate()?;
        self.dashboard.validate()?;
        anyhow::ensure!(
            matches!(self.log.format.as_str(), "text" | "json"),
            "log.format must be \"text\" or \"json\""
        );
        anyhow::ensure!(
            self.http.shutdown_grace_ms >= 100,
            "http.shutdown_grace_ms must be at least 100"
        );
        self.telegram.validate()
    }

    /// What the partner back office takes from configuration: the time zone (an unknown name is an error naming
    /// `network.time_zone`), the categories (1 to 100 characters each, at least one) and the client bot's username.
    pub fn office_settings(&self) -> anyhow::Result<actors::dialogue::OfficeSettings> {
        let time_zone = fsm::calendar::time_zone(&self.network.time_zone).map_err(|e| {
            anyhow::anyhow!(
                "network.time_zone {:?} is not a time zone: {e}",
                self.network.time_zone
            )
        })?;
        let (categories, en) = (&self.partners.categories, &self.partners.categories_en);
        let fits = |c: &String| (1..=100).contains(&c.trim().chars().count()) && c.trim() == c;
        anyhow::ensure!(
            !categories.is_empty() && categories.iter().chain(en).all(fits),
            "partners.categories needs at least one category of 1 to 100 characters, without surrounding spaces"
        );
        anyhow::ensure!(
            en.is_empty() || en.len() == categories.len(),
            "partners.categories_en must be empty or have one label per category ({} given for {})",
            en.len(),
            categories.len()
        );
        let categories = categories
            .iter()
            .enumerate()
            .map(|(i, name)| fsm::partner::onboarding::Category {
                name: name.clone(),
                en: en.get(i).unwrap_or(name).clone(),
            })
            .collect();
        Ok(actors::dialogue::OfficeSettings {
            time_zone,
            categories: std::sync::Arc::new(categories),
            client_bot_username: self.telegram.client_bot_username.clone(),
        })
    }
}

impl TelegramSettings {
    /// The outbox streams per bot in effect (`outbox_streams_per_bot`, or `outbox_lanes_per_bot` when 0; at least
    /// 1): also the number of chat groups, each one hash slot on a Redis Cluster.
    pub fn outbox_streams(&self) -> usize {
        match self.outbox_streams_per_bot {
            0 => self.outbox_lanes_per_bot.max(1),
            n => n,
        }
    }

    fn validate_retries(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.update_attempts_max >= 1 && self.stuck_update_max_s >= 1,
            "telegram.update_attempts_max and telegram.stuck_update_max_s must be >= 1"
        );
        anyhow::ensure!(
            self.dead_letter_after_s < self.stuck_update_max_s,
            "telegram.dead_letter_after_s ({}) must be below telegram.stuck_update_max_s ({}): an update failing \
             that long is parked before /readyz reports its bot stuck",
            self.dead_letter_after_s,
            self.stuck_update_max_s
        );
        Ok(())
    }

    /// Webhook mode must be able to receive: Telegram accepts a `secret_token` of 1–256 characters of
    /// `A-Za-z0-9_-` (Bot API, setWebhook) and we require 16 of them at least so it cannot be guessed; without one
    /// every update would be refused with 403. Telegram posts only to https; plain http is allowed for a loopback
    /// host, where a local Bot API server or a TLS-terminating proxy sits beside the process.
    fn validate(&self) -> anyhow::Result<()> {
        match self.mode.as_str() {
            "polling" => Ok(()),
            "webhook" => {
                let secret = self.webhook_secret.expose();
                anyhow::ensure!(
                    (16..=256).contains(&secret.len())
                        && secret
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
                    "telegram.webhook_secret must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - \
                     in webhook mode (it is {} characters long)",
                    secret.chars().count()
                );
                anyhow::ensure!(
                    (1..=100).contains(&self.webhook_max_connections),
                    "telegram.webhook_max_connections must be 1 to 100 (Bot API, setWebhook), not {}",
                    self.webhook_max_connections
                );
                let url = reqwest::Url::parse(&self.public_url).map_err(|e| {
                    anyhow::anyhow!(
                        "telegram.public_url must be an https URL in webhook mode: {e} ({:?})",
                        self.public_url
                    )
                })?;
                let host = url.host_str().unwrap_or_default();
                let ip = host.trim_start_matches('[').trim_end_matches(']');
                let loopback = host.eq_ignore_ascii_case("localhost")
                    || ip
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback());
                anyhow::ensure!(
                    url.scheme() == "https" || (url.scheme() == "http" && loopback),
                    "telegram.public_url must be https in webhook mode (http only on a loopback host), not {}",
                    self.public_url
                );
                Ok(())
            }
            other => {
                anyhow::bail!("telegram.mode must be \"polling\" or \"webhook\", not {other:?}")
            }
        }
    }
}

impl MiniAppSettings {
    /// A page of history holds 1 to 100 operations.
    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=100).contains(&self.history_page_max),
            "miniapp.history_page_max must be 1..=100"
        );
        Ok(())
    }
}

/// Writes `LOYALTY__A__B=value` into `table["a"]["b"]`. A value that reads as a TOML value (`42`, `true`,
/// `[1, 2]`) keeps that type; anything else is a string.
fn overlay_env(
    table: &mut toml::Table,
    vars: impl Iterator<Item = (String, String)>,
) -> anyhow::Result<()> {
    for (name, raw) in vars {
        let Some(path) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
        anyhow::ensure!(
            keys.iter().all(|k| !k.is_empty()),
            "malformed configuration variable {name}"
        );
        let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(raw.clone()));
        let (last, parents) = keys.split_last().context("empty configuration variable")?;
        let mut node = &mut *table;
        for key in parents {
            let entry = node
                .entry(key.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            node = entry
                .as_table_mut()
                .with_context(|| format!("{name}: {key} is not a section"))?;
        }
        node.insert(last.clone(), value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_the_file_and_secrets_never_print() {
        let mut table: toml::Table =
            toml::from_str("[database]\nurl = 'postgres://u:hunter2@h/db'\n").unwrap();
        let vars = [
            (
                "LOYALTY__DATABASE__POOL_SIZE_MAX".to_string(),
                "7".to_string(),
            ),
            (
                "LOYALTY__REDIS__URL".to_string(),
                "redis://:pw@h:1".to_string(),
            ),
            ("UNRELATED".to_string(), "x".to_string()),
        ];
        overlay_env(&mut table, vars.into_iter()).unwrap();
        let s: Settings = toml::Value::Table(table).try_into().unwrap();
        assert_eq!(s.database.pool_size_max, 7);
        assert_eq!(s.redis.url.expose(), "redis://:pw@h:1");
        let printed = format!("{s:?}");
        assert!(
            !printed.contains("hunter2") && !printed.contains(":pw@"),
            "{printed}"
        );
    }

    #[test]
    fn the_example_file_parses_and_states_the_real_defaults() {
        let table: toml::Table =
            toml::from_str(include_str!("../config/loyalty.example.toml")).unwrap();
        let example: Settings = toml::Value::Table(table).try_into().unwrap();
        let defaults = Settings::default();
        assert_eq!(format!("{example:?}"), format!("{defaults:?}"));
        assert_eq!(
            example.database.url.expose(),
            defaults.database.url.expose()
        );
    }

    #[test]
    fn cluster_urls_come_from_the_environment_as_a_list_and_never_print() {
        let mut table = toml::Table::new();
        let vars = [(
            "LOYALTY__REDIS__CLUSTER_URLS".to_string(),
            r#"["redis://:pw@10.0.0.1:6379","redis://:pw@10.0.0.2:6379"]"#.to_string(),
        )];
        overlay_env(&mut table, vars.into_iter()).unwrap();
        let s: Settings = toml::Value::Table(table).try_into().unwrap();
        let urls: Vec<&String> = s.redis.cluster_urls.iter().map(Secret::expose).collect();
        assert_eq!(
            urls,
            ["redis://:pw@10.0.0.1:6379", "redis://:pw@10.0.0.2:6379"]
        );
        assert!(!format!("{s:?}").contains(":pw@"));
        assert!(
            Settings::default().redis.cluster_urls.is_empty(),
            "single node by default"
        );
    }

    #[test]
    fn a_namespace_with_a_hash_tag_brace_is_refused() {
        let mut s = Settings::default();
        s.sessions.redis_namespace = "net{1}:".into();
        let e = s
            .validate()
            .expect_err("a brace would break the chat groups' hash tags");
        assert!(format!("{e}").contains("sessions.redis_namespace"), "{e}");
    }

    fn webhook(secret: &str, public_url: &str) -> anyhow::Result<()> {
        let mut s = Settings::default();
        s.telegram.mode = "webhook".into();
        s.telegram.webhook_secret = Secret::new(secret.into());
        s.telegram.public_url = public_url.into();
        s.validate()
    }

    #[test]
    fn webhook_mode_refuses_a_secret_telegram_would_not_send_naming_the_setting() {
        let https = "https://bots.example.com";
        for secret in [
            "",
            "abc",
            "sixteen-chars-ok but spaces",
            "абвгдежзийклмнопр",
            &"a".repeat(257),
        ] {
            let e = webhook(secret, https).expect_err(secret);
            assert!(format!("{e}").contains("telegram.webhook_secret"), "{e}");
            assert!(!format!("{e}").contains(secret) || secret.is_empty(), "{e}");
        }
        webhook("0123456789abcdef", https).expect("16 characters");
        webhook(&"A-z_9".repeat(51), https).expect("255 characters");
    }

    #[test]
    fn webhook_mode_refuses_a_max_connections_telegram_would_refuse() {
        let mut s = Settings::default();
        s.telegram.mode = "webhook".into();
        s.telegram.webhook_secret = Secret::new("test-webhook-secret-0123456789".into());
        s.telegram.public_url = "https://bots.example.com".into();
        for n in [0, 101, 255] {
            s.telegram.webhook_max_connections = n;
            let e = s.validate().expect_err("out of range");
            assert!(
                format!("{e}").contains("telegram.webhook_max_connections"),
                "{e}"
            );
        }
        for n in [1, 40, 100] {
            s.telegram.webhook_max_connections = n;
            s.validate().expect("in range");
        }
    }

    #[test]
    fn webhook_mode_needs_https_except_on_a_loopback_host() {
        let secret = "test-webhook-secret-0123456789";
        for url in [
            "http://bots.example.com",
            "http://10.0.0.5:8080",
            "",
            "bots.example.com",
        ] {
            let e = webhook(secret, url).expect_err(url);
            assert!(format!("{e}").contains("telegram.public_url"), "{e}");
        }
        for url in [
            "https://bots.example.com/tg",
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:80",
        ] {
            webhook(secret, url).expect(url);
        }
        let mut polling = Settings::default();
        polling.telegram.public_url = "http://bots.example.com".into();
        polling.validate().expect("polling needs neither");
        polling.telegram.mode = "pull".into();
        assert!(format!("{}", polling.validate().unwrap_err()).contains("telegram.mode"));
    }

    #[test]
    fn a_misspelt_key_is_an_error_not_a_silent_default() {
        let table: toml::Table = toml::from_str("[database]\npool_size_mx = 3\n").unwrap();
        assert!(toml::Value::Table(table).try_into::<Settings>().is_err());
    }
}
