//! Starts the whole product: HTTP (health, webhooks, and with the sandbox its emulator and page), the ledger, and
//! the bots. `loyalty serve` and `loyalty demo` call it, and so do the tests, on port 0.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::app::Engine;
use crate::config::{Secret, Settings};
use crate::sandbox::Emulator;
use crate::telegram::webhook::{self, WebhookState};
use crate::{Services, http};

/// Telegram id of the demo partner the sandbox starts with.
pub const DEMO_PARTNER_ID: i64 = 1001;
/// The demo partner's company name.
pub const DEMO_PARTNER_NAME: &str = "Кофейня «Зерно»";
/// Telegram id of the sandbox's admin when the settings name none (`telegram.admin_ids` empty).
pub const DEMO_ADMIN_ID: i64 = 3001;

/// A running product.
pub struct Running {
    pub addr: SocketAddr,
    pub services: Services,
    /// Present when bot tokens were configured (always with the sandbox).
    pub bots: Option<Engine>,
    pub emulator: Option<Emulator>,
    /// With the sandbox: the demo partner's referral payload.
    pub demo_referral: Option<String>,
    /// Resolves when the HTTP server stops.
    pub task: actix_rt::task::JoinHandle<std::io::Result<()>>,
    /// Stops the HTTP server; [`Running::shutdown`] uses it.
    pub http: actix_web::dev::ServerHandle,
    /// What the webhook route and `/metrics` see of the engine; its `shutting_down` turns the webhook away.
    pub webhook: actix_web::web::Data<WebhookState>,
    /// `http.shutdown_grace_ms`: the whole shutdown fits in it.
    pub grace: Duration,
}

/// How long in-flight HTTP requests (webhook posts, the sandbox's own long polls) may take once the server stops,
/// out of the grace; a grace under two of these leaves none (requests are cut at once).
const HTTP_GRACE: Duration = Duration::from_secs(1);

impl Running {
    /// Stops in order, within `http.shutdown_grace_ms` (2 s by default; issue 12, item 10 and issue 17): no update is
    /// taken any more (the webhook answers 503, `/readyz` too; the pollers abandon their long polls, which confirms
    /// nothing to Telegram) and the pollers finish the updates they are running, so every update either is stored or will be
    /// delivered again; the outbox's lanes finish the send under way and start no other, their acknowledgements
    /// land and the stream leases are released, so another replica (or this one restarted) sends the rest at once;
    /// then the HTTP server lets in-flight webhook posts finish their step and closes. The outbox goes before the
    /// server because in the sandbox it sends to that very server. A step still running when the grace ends is
    /// either committed or not (one Redis script): its update is delivered again and deduplicated.
    pub async fn shutdown(self) {
        let started = Instant::now();
        let http_grace = if self.grace >= 2 * HTTP_GRACE {
            HTTP_GRACE
        } else {
            Duration::ZERO
        };
        let engine_deadline = started + self.grace.saturating_sub(http_grace);
        self.webhook
            .shutting_down
            .store(true, std::sync::atomic::Ordering::Release);
        if let Some(bots) = self.bots {
            bots.stop.cancel();
            let pollers = futures_util::future::join_all(bots.pollers);
            if tokio::time::timeout_at(engine_deadline.into(), pollers)
                .await
                .is_err()
            {
                tracing::info!(
                    "shutdown: a poller was still working on its batch; it will be delivered again"
                );
            }
            while bots
                .outbox_metrics
                .lease_keepers
                .load(std::sync::atomic::Ordering::SeqCst)
                > 0
                && Instant::now() < engine_deadline
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        let http = self.http.stop(true);
        if tokio::time::timeout(http_grace + Duration::from_millis(100), http)
            .await
            .is_err()
        {
            tracing::info!("shutdown: HTTP requests still running were cut");
        }
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "stopped");
    }
}

/// Binds, serves, and starts the bots. With `sandbox`, the product runs on its own Bot API emulator (tokens
/// `sandbox-partner`, `sandbox-client`, `sandbox-admin`, long polling) and a demo partner is created.
pub async fn start(mut settings: Settings, sandbox: bool) -> anyhow::Result<Running> {
    let emulator = sandbox.then(Emulator::new);
    if let Some(emulator) = &emulator {
        for (i, kind) in fsm::BotKind::ALL.iter().enumerate() {
            emulator.add_bot(
                kind.as_str(),
                &format!("sandbox-{}", kind.as_str()),
                9_000 + i as i64,
            );
        }
        settings.telegram.partner_token = Secret::new("sandbox-partner".into());
        settings.telegram.client_token = Secret::new("sandbox-client".into());
        settings.telegram.admin_token = Secret::new("sandbox-admin".into());
        settings.telegram.mode = "polling".into();
        if settings.telegram.admin_ids.is_empty() {
            settings.telegram.admin_ids.push(DEMO_ADMIN_ID);
        }
    }
    let webhook_state = actix_web::web::Data::new(WebhookState {
        secret: settings.telegram.webhook_secret.clone(),
        ingress: OnceLock::new(),
        outbox: OnceLock::new(),
        registry: OnceLock::new(),
        shutting_down: std::sync::atomic::AtomicBool::new(false),
    });
    let services = Services::start(settings.clone()).await?;
    let miniapp = actix_web::web::Data::new(crate::miniapp::MiniApp::new(&settings, sandbox)?);
    let miniapp_http = miniapp.clone();
    let dashboard = actix_web::web::Data::new(crate::dashboard::Dashboard::new(
        &settings,
        services.pg.clone(),
        services.redis.clone(),
    )?);
    let dashboard_routes = dashboard.clone();
    let data = actix_web::web::Data::new(services.clone());
    let emulator_data = emulator.clone().map(actix_web::web::Data::new);
    let hook = webhook_state.clone();
    let mut server = actix_web::HttpServer::new(move || {
        let mut app = actix_web::App::new()
            .app_data(data.clone())
            .app_data(hook.clone());
        // The sandbox first: its routes are static prefixes, so the emulator's calls are routed before the webhook
        // route's pattern is tried, and the product's own routes are unaffected.
        if let Some(emulator) = &emulator_data {
            app = app
                .app_data(emulator.clone())
                .configure(crate::sandbox::configure);
        }
        app.configure(http::configure)
            .configure(|cfg| crate::miniapp::configure(cfg, miniapp_http.clone()))
            .configure(|cfg| crate::dashboard::configure(cfg, dashboard_routes.clone()))
            .configure(webhook::configure)
    })
    // The command line handles SIGTERM and Ctrl-C (`Running::shutdown`); actix's own handling would stop the HTTP
    // server first, under the pollers and the outbox that use it in the sandbox.
    .disable_signals()
    .shutdown_timeout(
        if settings.http.shutdown_grace_ms >= 2 * HTTP_GRACE.as_millis() as u64 {
            HTTP_GRACE.as_secs()
        } else {
            0
        },
    )
    .bind(&settings.http.listen)?;
    if settings.http.workers > 0 {
        server = server.workers(settings.http.workers);
    }
    let addr = *server
        .addrs()
        .first()
        .context("the server is bound to no address")?;
    let server = server.run();
    let http = server.handle();
    let task = actix_rt::spawn(server);

    let mut demo_referral = None;
    if let Some(emulator) = &emulator {
        settings.telegram.api_url = format!("http://{addr}/tg");
        // The sandbox is reached at its own address: the client bot's menu button opens the Mini App there.
        if settings.telegram.public_url.is_empty() {
            settings.telegram.public_url = format!("http://{addr}");
        }
        actix_rt::spawn(emulator.clone().run_webhook_deliverer());
        let db = services.pg.get().await?;
        let partner = actors::db::partners::upsert_approved_partner(
            &**db,
            DEMO_PARTNER_ID,
            DEMO_PARTNER_NAME,
            500,
        )
        .await?;
        demo_referral = Some(
            db.query_one(
                "SELECT referral_code FROM partners WHERE id = $1",
                &[&partner.0],
            )
            .await?
            .get(0),
        );
        // The page's first-visit hint (`GET /sandbox/api/demo`).
        emulator.set_demo(serde_json::json!({
            "partner_id": DEMO_PARTNER_ID,
            "partner_name": DEMO_PARTNER_NAME,
            "referral": demo_referral,
            "admin_id": settings.telegram.admin_ids.first(),
        }));
    }
    let t = &settings.telegram;
    let has_tokens = [&t.partner_token, &t.client_token, &t.admin_token]
        .iter()
        .any(|t| !t.expose().is_empty());
    let bots = if has_tokens {
        let runtime = services.start_bots(&settings.telegram, true).await?;
        let _ = webhook_state.ingress.set(Arc::clone(&runtime.ingress));
        let _ = webhook_state
            .outbox
            .set(Arc::clone(&runtime.outbox_metrics));
        let _ = webhook_state.registry.set(runtime.registry.clone());
        // The Mini App's writes send through the same outbox streams as the bots.
        let _ = miniapp.outbox.set(runtime.store.clone());
        if let Some(url) = crate::miniapp::url(&settings.miniapp, &settings.telegram) {
            let _ = miniapp.menu_url.set(url);
        }
        let url = settings.dashboard.base_url(&settings.telegram.public_url);
        dashboard.wire(runtime.store.clone(), &url);
        if settings.telegram.mode == "webhook" {
            actix_rt::spawn(watch_webhooks(
                crate::telegram::BotApiClients::new(&settings.telegram)?,
                runtime.ingress.clone(),
                runtime.stop.clone(),
            ));
        }
        Some(runtime)
    } else {
        tracing::warn!("no bot tokens configured: serving health endpoints only");
        None
    };
    Ok(Running {
        addr,
        services,
        bots,
        emulator,
        demo_referral,
        task,
        http,
        webhook: webhook_state,
        grace: Duration::from_millis(settings.http.shutdown_grace_ms),
    })
}

/// How often the webhook mode asks Telegram how many updates it holds for each bot.
const WEBHOOK_INFO_EVERY: Duration = Duration::from_secs(30);

/// Every [`WEBHOOK_INFO_EVERY`], `getWebhookInfo` of each bot into `loyalty_webhook_pending_updates{bot}`: updates
/// Telegram could not deliver yet (this replica or another answering 5xx, or slow). A failed call keeps the last
/// figure and is logged at debug level.
async fn watch_webhooks(
    bots: crate::telegram::BotApiClients,
    ingress: Arc<crate::telegram::ingress::Ingress>,
    stop: tokio_util::sync::CancellationToken,
) {
    use teloxide_core::requests::Requester;
    loop {
        for kind in bots.kinds() {
            let Some(bot) = bots.get(kind) else {
                continue;
            };
            match bot.get_webhook_info().await {
                Ok(info) => {
                    ingress
                        .metrics
                        .by_bot
                        .webhook_pending
                        .get_or_create(&crate::metrics::BotLabel { bot: kind.as_str() })
                        .set(i64::from(info.pending_update_count));
                }
                Err(e) => tracing::debug!(bot = kind.as_str(), error = %e, "getWebhookInfo failed"),
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(WEBHOOK_INFO_EVERY) => {}
        }
    }
}
