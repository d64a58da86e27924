//! Start-up: builds the pools, applies migrations and starts the actors every command shares.

use actix::{Actor, Addr};
use anyhow::Context;
use std::sync::Arc;

use crate::config::Settings;
use crate::{db, migrate};
use actors::{LedgerActor, LedgerMetrics};

/// What the running product holds on to; cheap to clone into HTTP handlers.
#[derive(Clone)]
pub struct Services {
    pub settings: Arc<Settings>,
    pub pg: deadpool_postgres::Pool,
    /// The shared Redis connection (single node or cluster), made on first use.
    pub redis: actors::redis_conn::SharedRedis,
    pub ledger: Addr<LedgerActor>,
    pub ledger_metrics: Arc<LedgerMetrics>,
}

impl Services {
    /// Migrates the database and starts the ledger actor on the current actix system.
    pub async fn start(settings: Settings) -> anyhow::Result<Services> {
        let mut client = db::connect(&settings.database).await?;
        let applied = migrate::migrate(&mut client)
            .await
            .context("migrating the database")?;
        if !applied.is_empty() {
            tracing::info!(%applied, "migrations applied");
        }
        let pg = db::pg_pool(&settings.database, settings.database.pool_size_max)?;
        let ledger_pg = db::pg_pool(&settings.database, settings.database.ledger_pool_size_max)?;
        let redis = db::redis_pool(&settings.redis)?;
        let actor = LedgerActor::new(ledger_pg, settings.ledger.clone());
        let ledger_metrics = actor.metrics();
        let ledger = actor.start();
        Ok(Services {
            settings: Arc::new(settings),
            pg,
            redis,
            ledger,
            ledger_metrics,
        })
    }
}

/// The running conversation engine (ingress, sessions, outbox, pollers): what the webhook route, the metrics and
/// shutdown need. "Bot" means only a Telegram bot; this is what serves all three.
pub struct Engine {
    pub ingress: std::sync::Arc<crate::telegram::ingress::Ingress>,
    pub registry: Addr<actors::session::SessionRegistry>,
    pub outbox_metrics: Arc<crate::telegram::outbox::OutboxMetrics>,
    /// Cancelled on shutdown: the pollers stop taking updates.
    pub stop: tokio_util::sync::CancellationToken,
    /// The polling loops (none in webhook mode); each ends once `stop` is cancelled and the updates it is running have finished.
    pub pollers: Vec<actix_rt::task::JoinHandle<()>>,
    /// The session store, whose outbox streams also carry what the Mini App sends (a partner's notice, a menu).
    pub store: actors::session::store::SessionStore,
}

impl Services {
    /// Starts the outbox, the session registry and the ingress, then polling (or registers the webhooks).
    /// With `transport` false nothing is polled, no webhook is set and no command menu is published: the
    /// ingress, sessions and outbox only (for `loyalty dead-letters replay`, beside a serving process).
    pub async fn start_bots(
        &self,
        telegram: &crate::config::TelegramSettings,
        transport: bool,
    ) -> anyhow::Result<Engine> {
        use crate::telegram::{BotApiClients, ingress::Ingress, outbox::Outbox, polling};
        use actors::dialogue::DialogueEnv;
        use actors::session::store::SessionStore;
        use actors::session::{SessionDeps, SessionRegistry};
        use teloxide_core::payloads::SetWebhookSetters;
        use teloxide_core::requests::Requester;

        let bots = BotApiClients::new(telegram)?;
        anyhow::ensure!(
            !bots.kinds().is_empty(),
            "no bot token configured (telegram.partner_token, ...)"
        );
        let streams_per_bot = telegram.outbox_streams();
        let sessions = &self.settings.sessions;
        // Short timeouts (`actors::redis_conn`): while Redis is down an update must fail fast (webhook 503).
        let redis = self
            .redis
            .get()
            .await
            .context("connecting to Redis for the sessions")?;
        // The per-user and per-bot limits across replicas share the sessions' connection (issue 17).
        let shared_limits = telegram.shared_limits.then(|| {
            crate::telegram::shared_limit::SharedLimits::new(
                redis.clone(),
                &sessions.redis_namespace,
            )
        });
        let (outbox, outbox_metrics, limits) =
            Outbox::start(&bots, telegram, shared_limits.as_ref());
        let dead_letters = actors::session::dead_letter::DeadLetters::new(
            redis.clone(),
            sessions.redis_namespace.clone(),
            sessions.dedup_ttl_s,
        );
        let store = SessionStore::new(
            redis.clone(),
            sessions.redis_namespace.clone(),
            sessions.state_ttl_s,
            sessions.dedup_ttl_s,
            streams_per_bot,
        );
        let stop = tokio_util::sync::CancellationToken::new();
        // --- Partner money: the /find counters share the sessions' Redis connection ---
        let limiter_redis = redis.clone();
        // The replies the commits append to the streams: read, sent and acknowledged here (not by a replay, which
        // leaves them to the serving process).
        if transport {
            crate::telegram::durable::start(
                self.redis.client(),
                redis,
                self.pg.clone(),
                &bots,
                &limits,
                outbox_metrics.clone(),
                crate::telegram::durable::DurableSettings {
                    namespace: sessions.redis_namespace.clone(),
                    streams_per_bot,
                    lease: std::time::Duration::from_millis(telegram.outbox_lease_ms.max(30)),
                    batch: telegram.outbox_read_batch.max(1),
                    consumer: format!("{}-{}", std::process::id(), rand::random::<u32>()),
                },
                stop.clone(),
            )
            .await?;
        }
        let money = &self.settings.money;
        let env = DialogueEnv {
            pg: self.pg.clone(),
            ledger: self.ledger.clone(),
            welcome_bonus: fsm::Points::new(money.welcome_bonus_points.max(1))
                .context("welcome bonus")?,
            receipt_max: fsm::Kopecks::new(money.receipt_max_kopecks).context("receipt maximum")?,
            partners: std::sync::Arc::new(actors::db::partner_cache::PartnerCache::new(
                std::time::Duration::from_millis(sessions.partner_cache_ms),
            )),
            admin_ids: std::sync::Arc::new(telegram.admin_ids.iter().copied().collect()),
            office: std::sync::Arc::new(self.settings.office_settings()?),
            // --- Partner money ---
            money: actors::dialogue::money::MoneyEnv {
                redeem_cap_percent: money.redeem_cap_percent,
                consent_ttl: std::time::Duration::from_secs(money.redemption_consent_ttl_s.max(1)),
                find_lookups_per_hour: self.settings.partners.find_lookups_per_hour,
                till_lookups_per_hour: self.settings.partners.till_lookups_per_hour,
                time_zone: actors::dialogue::money::time_zone(&self.settings.network.time_zone)?,
                limiter: Some((limiter_redis, sessions.redis_namespace.clone())),
            },
            // --- Admin bot ---
            admin: std::sync::Arc::new(actors::dialogue::AdminSettings {
                rate_min: fsm::CashbackRate::new(money.cashback_min_bp, 1, 10_000)
                    .context("money.cashback_min_bp")?,
                rate_max: fsm::CashbackRate::new(money.cashback_max_bp, 1, 10_000)
                    .context("money.cashback_max_bp")?,
                // `telegram`, not `self.settings`: the sandbox sets the public address after the services started.
                dashboard_url: self.settings.dashboard.base_url(&telegram.public_url),
                login_link_ttl_s: self.settings.dashboard.login_link_ttl_s,
            }),
            outbox: Some(store.clone()),
            miniapp_url: crate::miniapp::url(&self.settings.miniapp, telegram),
        };
        // --- Partner money: expired redemption requests are announced by whichever replica sweeps them first ---
        if transport {
            let stop = stop.clone();
            actix_rt::spawn(actors::sweeper::run(
                self.pg.clone(),
                store.clone(),
                std::time::Duration::from_millis(self.settings.partners.redemption_sweep_ms),
                async move { stop.cancelled().await },
            ));
        }
        let deps = SessionDeps {
            store: store.clone(),
            env,
            outbox: outbox.clone().recipient(),
            idle_stop: std::time::Duration::from_secs(sessions.idle_stop_s.max(1)),
            durable_replies: sessions.durable_replies,
        };
        // By default one worker thread per core beyond the first, which keeps the pollers, the ingress, the outbox
        // and the ledger actor; on two cores or fewer the sessions share that main thread. Measured on the 2-core box
        // with Postgres and Redis beside it: hopping between threads cost more than a second session thread gave
        // (dialogue benchmark, 6 alternating rounds: 5,213 -> 5,823 steps/s, 202 -> 170 µs of CPU per step).
        let threads = match sessions.worker_threads {
            0 => std::thread::available_parallelism()
                .map_or(1, usize::from)
                .saturating_sub(1)
                .max(1),
            n => n,
        };
        let registry = SessionRegistry::new(deps, threads).start();
        let ingress = Ingress::new(
            registry.clone(),
            bots.clone(),
            outbox.recipient(),
            dead_letters,
            shared_limits,
            telegram,
        );
        let mut pollers = Vec::new();
        // A replay (`loyalty dead-letters replay`) only runs updates: the serving process keeps the transport.
        let kinds = if transport { bots.kinds() } else { Vec::new() };
        for kind in kinds {
            let Some(bot) = bots.get(kind).cloned() else {
                continue;
            };
            publish_commands(kind, &bot, &telegram.admin_ids).await;
            if kind == fsm::BotKind::Client
                && let Some(url) = crate::miniapp::url(&self.settings.miniapp, telegram)
            {
                crate::miniapp::publish_menu_button(&bot, &url).await;
            }
            if telegram.mode == "webhook" {
                let url = reqwest::Url::parse(&format!(
                    "{}/webhook/{}",
                    telegram.public_url.trim_end_matches('/'),
                    kind.as_str()
                ))
                .context("invalid telegram.public_url")?;
                bot.set_webhook(url)
                    .secret_token(telegram.webhook_secret.expose().clone())
                    .max_connections(telegram.webhook_max_connections)
                    .await
                    .context("setWebhook")?;
            } else {
                // A bot with a webhook cannot be polled; polling mode takes the bot back.
                if let Err(e) = bot.delete_webhook().await {
                    tracing::warn!(bot = kind.as_str(), error = %e, "deleteWebhook failed; polling anyway");
                }
                pollers.push(actix_rt::spawn(polling::run(
                    kind,
                    bot,
                    ingress.clone(),
                    telegram.poll_timeout_s,
                    stop.clone(),
                )));
            }
        }
        Ok(Engine {
            ingress,
            registry,
            outbox_metrics,
            stop,
            pollers,
            store,
        })
    }
}

/// Telegram's "/" menu for `bot` (`setMyCommands`): the Russian list as the default and for `ru`, the English one
/// for `en`, so each user sees what they can do in their language. The admin bot's menu is published to each admin's
/// own chat only (`BotCommandScopeChat`), and its default menu is empty: a stranger is shown no commands they cannot
/// use. A failure is logged, not fatal: the bot works without its menu.
async fn publish_commands(kind: fsm::BotKind, bot: &teloxide_core::Bot, admin_ids: &[i64]) {
    use teloxide_core::payloads::{DeleteMyCommandsSetters, SetMyCommandsSetters};
    use teloxide_core::requests::Requester;
    use teloxide_core::types::{BotCommand, BotCommandScope, ChatId, Recipient};

    let list = |lang| {
        fsm::text::bot_commands(kind, lang)
            .into_iter()
            .map(|(command, description)| BotCommand::new(command, description))
            .collect::<Vec<_>>()
    };
    let warn = |e: teloxide_core::RequestError| {
        tracing::warn!(bot = kind.as_str(), error = %e, "setMyCommands failed; the bot works without its menu");
    };
    let scopes: Vec<Option<BotCommandScope>> = if kind == fsm::BotKind::Admin {
        for language_code in ["", "ru", "en"] {
            let mut request = bot.delete_my_commands();
            if !language_code.is_empty() {
                request = request.language_code(language_code);
            }
            if let Err(e) = request.await {
                warn(e);
            }
        }
        admin_ids
            .iter()
            .map(|id| {
                Some(BotCommandScope::Chat {
                    chat_id: Recipient::Id(ChatId(*id)),
                })
            })
            .collect()
    } else {
        vec![None]
    };
    for scope in scopes {
        for (language_code, lang) in [
            (None, fsm::Lang::Ru),
            (Some("ru"), fsm::Lang::Ru),
            (Some("en"), fsm::Lang::En),
        ] {
            let mut request = bot.set_my_commands(list(lang));
            if let Some(code) = language_code {
                request = request.language_code(code);
            }
            if let Some(scope) = scope.clone() {
                request = request.scope(scope);
            }
            if let Err(e) = request.await {
                warn(e);
            }
        }
    }
}
