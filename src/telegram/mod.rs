//! The Telegram transport: teloxide-core clients for the three bots, long polling and webhooks feeding one ingress,
//! and the outbox that sends replies within Telegram's limits.

pub mod convert;
pub mod ingress;
pub mod outbox;
pub mod polling;
pub mod webhook;

use std::collections::HashMap;

use anyhow::Context;
use fsm::BotKind;
use teloxide_core::Bot;

use crate::config::TelegramSettings;

/// One teloxide-core client per bot, all pointed at the configured Bot API server.
#[derive(Clone)]
pub struct Bots(HashMap<BotKind, Bot>);

impl Bots {
    pub fn new(settings: &TelegramSettings) -> anyhow::Result<Bots> {
        let url = reqwest::Url::parse(&settings.api_url).context("invalid telegram.api_url")?;
        let mut bots = HashMap::new();
        for (kind, token) in [
            (BotKind::Partner, &settings.partner_token),
            (BotKind::Client, &settings.client_token),
            (BotKind::Admin, &settings.admin_token),
        ] {
            if !token.expose().is_empty() {
                bots.insert(
                    kind,
                    Bot::new(token.expose().clone()).set_api_url(url.clone()),
                );
            }
        }
        Ok(Bots(bots))
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
