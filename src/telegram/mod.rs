//! The Telegram transport: teloxide-core clients for the three bots, long polling and webhooks feeding one ingress,
//! and the outbox that sends replies within Telegram's limits.

pub mod convert;
pub mod durable;
pub mod ingress;
pub mod outbox;
pub mod photo;
pub mod polling;
pub mod sanitize;
pub mod shared_limit;
pub mod webhook;

use std::collections::HashMap;

use anyhow::Context;
use fsm::BotKind;
use teloxide_core::Bot;

use crate::config::TelegramSettings;

/// One teloxide-core client per bot, all pointed at the configured Bot API server.
#[derive(Clone)]
pub struct BotApiClients(HashMap<BotKind, Bot>);

impl BotApiClients {
    pub fn new(settings: &TelegramSettings) -> anyhow::Result<BotApiClients> {
        let url = reqwest::Url::parse(&settings.api_url).context("invalid telegram.api_url")?;
        // teloxide's default client gives up after 17 s, shorter than a long poll (`poll_timeout_s`, 25 by default):
        // every idle poll would end in a network error and a back-off. Its other defaults are kept, and so is
        // `TELOXIDE_PROXY`, which `Bot::new` honours.
        let wait = std::time::Duration::from_secs(u64::from(settings.poll_timeout_s) + 10);
        let mut builder = teloxide_core::net::default_reqwest_settings().timeout(wait);
        if let Ok(proxy) = std::env::var("TELOXIDE_PROXY") {
            builder = builder.proxy(reqwest::Proxy::all(proxy).context("invalid TELOXIDE_PROXY")?);
        }
        let client = builder.build().context("building the Bot API client")?;
        let mut bots = HashMap::new();
        for (kind, token) in [
            (BotKind::Partner, &settings.partner_token),
            (BotKind::Client, &settings.client_token),
            (BotKind::Admin, &settings.admin_token),
        ] {
            if !token.expose().is_empty() {
                bots.insert(
                    kind,
                    Bot::with_client(token.expose().clone(), client.clone())
                        .set_api_url(url.clone()),
                );
            }
        }
        Ok(BotApiClients(bots))
    }

    pub fn get(&self, kind: BotKind) -> Option<&Bot> {
        self.0.get(&kind)
    }

    pub fn kinds(&self) -> Vec<BotKind> {
        let mut kinds: Vec<BotKind> = self.0.keys().copied().collect();
        kinds.sort();
        kinds
    }
}
