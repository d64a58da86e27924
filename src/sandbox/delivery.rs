//! Getting updates to the bots: the queue a poll reads, and the webhook deliverer that posts to bots which set a
//! webhook, retrying what they refuse as Telegram does.

use std::sync::MutexGuard;
use std::time::Duration;

use super::emulator::{Emulator, QUEUE_MAX, Queued, State};

impl Emulator {
    /// Puts an update in the bot's queue and wakes its pollers.
    pub(super) fn enqueue(&self, mut s: MutexGuard<'_, State>, token: &str, update: Queued) {
        if let Some(bot) = s.bots.get_mut(token) {
            if bot.queue.len() >= QUEUE_MAX {
                bot.queue.pop_front();
            }
            bot.queue.push_back(update);
        }
        drop(s);
        self.arrived.notify_waiters();
    }

    /// Updates waiting for a bot in webhook mode, with where to send them.
    pub fn take_webhook_batch(&self) -> Vec<(String, Option<String>, Queued, String)> {
        let mut s = self.lock();
        let mut out = Vec::new();
        for (token, bot) in s.bots.iter_mut() {
            if let Some((url, secret)) = bot.webhook.clone() {
                while let Some(u) = bot.queue.pop_front() {
                    out.push((url.clone(), secret.clone(), u, token.clone()));
                }
            }
        }
        out
    }

    /// Puts an update the webhook refused back at the front of its queue, as Telegram retries.
    pub fn requeue(&self, token: &str, update: Queued) {
        if let Some(bot) = self.lock().bots.get_mut(token) {
            bot.queue.push_front(update);
        }
    }

    /// Delivers updates to bots that set a webhook, retrying refused ones, until the process ends.
    pub async fn run_webhook_deliverer(self) {
        let client = reqwest::Client::new();
        loop {
            let batch = self.take_webhook_batch();
            if batch.is_empty() {
                let _ =
                    tokio::time::timeout(Duration::from_millis(200), self.arrived.notified()).await;
                continue;
            }
            for (url, secret, update, token) in batch {
                let mut request = client
                    .post(&url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(update.json.clone())
                    .timeout(Duration::from_secs(10));
                if let Some(secret) = &secret {
                    request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
                }
                let delivered = matches!(request.send().await, Ok(r) if r.status().is_success());
                if !delivered {
                    self.requeue(&token, update);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
            }
        }
    }
}
