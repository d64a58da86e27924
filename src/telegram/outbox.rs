//! The outbox: sends messages not tied to a commit (the ingress's slow-down notice, in memory: lost in a crash, which
//! is harmless) and, through [`super::durable`], the replies the commits appended to the Redis streams. It sends in per-chat order, over several lanes per bot (a chat keeps to one lane), within Telegram's limits (about 1 msg/s per chat with a small burst,
//! 30 msg/s per bot; the per-bot limit also across replicas, `shared_limit::SendTokens`), waits out `retry_after` on 429, and keeps a bounded queue per bot whose depth is a metric.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ::actors::outgoing::{Outgoing, OutgoingMessage};
use actix::prelude::*;
use fsm::BotKind;
use fsm::chat::Reply;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use teloxide_core::requests::{JsonRequest, Payload};
use teloxide_core::types::{ParseMode, ReplyMarkup};
use teloxide_core::{ApiError, RequestError};
use tokio::sync::mpsc;

use super::shared_limit::{SendTokens, SharedLimits};
use super::{BotApiClients, convert};
use crate::config::TelegramSettings;

/// How long a message is retried while Telegram cannot be reached or answers something that is not an answer (a
/// network error, a proxy's HTML page, 429) before it is given up, logged as an error and counted as failed. Long
/// enough to ride out an outage of the Bot API or of the network; meanwhile only this chat's lane waits.
const SEND_GIVE_UP: std::time::Duration = std::time::Duration::from_secs(600);

/// The pause before the retry after the `attempt`-th failure (0-based): 200 ms doubling, at most 3.2 s.
fn backoff(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_millis(200 << attempt.min(4))
}

/// Outbox figures for `/metrics` and the benchmark.
#[derive(Debug, Default)]
pub struct OutboxMetrics {
    pub queued: AtomicU64,
    pub sent: AtomicU64,
    pub failed: AtomicU64,
    pub dropped_queue_full: AtomicU64,
    pub retry_after_waits: AtomicU64,
    /// Time spent waiting out those 429s, ms.
    pub retry_after_wait_ms: AtomicU64,
    /// Redis operations of the stream readers, lease keepers and acknowledgers that failed.
    pub redis_errors: AtomicU64,
    /// Stream entries taken over from a dead or previous consumer (`XAUTOCLAIM`).
    pub claimed: AtomicU64,
    /// Final refusals (403 "bot was blocked", 400 "chat not found", ...): recorded, not retried.
    pub refused: AtomicU64,
    /// Per outbox stream, by bot and chat group: its length and pending entries, as last seen by this process's
    /// reader.
    pub streams: std::sync::Mutex<HashMap<(BotKind, usize), (u64, u64)>>,
    /// Per outbox stream: when its reader last went round its loop (it does at least every third of a lease).
    /// `/readyz` names a stream whose reader stopped going round.
    pub reader_ticks: std::sync::Mutex<HashMap<String, std::time::Instant>>,
    /// Outbox tasks that panicked and were started again.
    pub restarts: AtomicU64,
    /// Stream lease keepers running; on shutdown each ends once its stream's sends under way are acknowledged and
    /// its lease released, so the shutdown waits for 0.
    pub lease_keepers: std::sync::atomic::AtomicUsize,
}

impl OutboxMetrics {
    /// Streams whose reader has not gone round its loop for longer than `max`: their replies wait for nobody.
    pub fn stalled_readers(&self, max: std::time::Duration) -> Vec<String> {
        let Ok(ticks) = self.reader_ticks.lock() else {
            return Vec::new();
        };
        let mut stalled: Vec<String> = ticks
            .iter()
            .filter(|(_, at)| at.elapsed() > max)
            .map(|(key, _)| key.clone())
            .collect();
        stalled.sort();
        stalled
    }

    /// Messages accepted and not yet sent or given up.
    pub fn depth(&self) -> u64 {
        let done = self.sent.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed);
        self.queued.load(Ordering::Relaxed).saturating_sub(done)
    }
}

/// Routes outgoing messages to the sender task of their bot.
pub struct Outbox {
    /// Per bot, its lanes: a chat always uses lane `chat % lanes`, so its messages keep their order.
    senders: HashMap<BotKind, Vec<mpsc::Sender<Outgoing>>>,
    metrics: Arc<OutboxMetrics>,
}

impl Outbox {
    /// Starts one sender task per bot on the current actix system.
    /// Also returns each bot's rate limits, for the stream readers to share. With `shared`, each bot's send limit
    /// also holds across the replicas using the same Redis.
    pub fn start(
        bots: &BotApiClients,
        settings: &TelegramSettings,
        shared: Option<&SharedLimits>,
    ) -> (
        Addr<Outbox>,
        Arc<OutboxMetrics>,
        HashMap<BotKind, Arc<Limits>>,
    ) {
        let mut all_limits = HashMap::new();
        let metrics = Arc::new(OutboxMetrics::default());
        let mut senders = HashMap::new();
        let lanes = settings.outbox_lanes_per_bot.max(1);
        for kind in bots.kinds() {
            let Some(bot) = bots.get(kind).cloned() else {
                continue;
            };
            // The limits are the bot's, whatever lane a message takes.
            let limits = Arc::new(Limits {
                per_bot: RateLimiter::direct(quota(
                    settings.sends_per_bot_per_s,
                    settings.sends_per_bot_per_s,
                )),
                per_chat: RateLimiter::keyed(quota(
                    settings.sends_per_chat_per_s,
                    settings.sends_burst_per_chat,
                )),
                shared: shared.map(|s| {
                    SendTokens::new(
                        s.clone(),
                        kind,
                        settings.sends_per_bot_per_s,
                        settings.sends_per_bot_per_s,
                    )
                }),
            });
            all_limits.insert(kind, limits.clone());
            let mut lane_senders = Vec::with_capacity(lanes);
            for _ in 0..lanes {
                let (tx, rx) = mpsc::channel((settings.outbox_queue_max / lanes).max(1));
                lane_senders.push(tx);
                actix_rt::spawn(run_sender(bot.clone(), rx, limits.clone(), metrics.clone()));
            }
            senders.insert(kind, lane_senders);
        }
        (
            Outbox {
                senders,
                metrics: metrics.clone(),
            }
            .start(),
            metrics,
            all_limits,
        )
    }
}

impl Actor for Outbox {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(100_000);
    }
}

impl Handler<Outgoing> for Outbox {
    type Result = ();

    fn handle(&mut self, msg: Outgoing, _ctx: &mut Self::Context) {
        let lane = self
            .senders
            .get(&msg.bot)
            .and_then(|lanes| lanes.get(msg.chat_id.unsigned_abs() as usize % lanes.len()));
        let Some(tx) = lane else {
            tracing::warn!(
                bot = msg.bot.as_str(),
                "outbox: no token configured for this bot; message dropped"
            );
            return;
        };
        match tx.try_send(msg) {
            Ok(()) => {
                self.metrics.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                self.metrics
                    .dropped_queue_full
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!("outbox: queue full; message dropped");
            }
        }
    }
}

/// `sendMessage` as the outbox sends it. teloxide's own payload parses the whole `Message` it answers with (chat,
/// sender, entities, markup) only for the outbox to throw it away: about 6 % of the product thread's CPU in the
/// dialogue benchmark. This one reads the message id alone (kept for tracked messages, `Outgoing::track`).
#[derive(serde::Serialize)]
struct SendMessage {
    chat_id: i64,
    text: String,
    parse_mode: ParseMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_markup: Option<ReplyMarkup>,
}

/// What the outbox reads of a sent message.
#[derive(serde::Deserialize)]
struct SentMessage {
    message_id: i32,
}

impl Payload for SendMessage {
    type Output = SentMessage;
    const NAME: &'static str = "SendMessage";
}

/// `editMessageText`, lean in the same way. Without `reply_markup` Telegram drops the message's inline buttons,
/// which is what an edit to an outcome wants.
#[derive(serde::Serialize)]
struct EditMessageText {
    chat_id: i64,
    message_id: i32,
    text: String,
    parse_mode: ParseMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_markup: Option<ReplyMarkup>,
}

impl Payload for EditMessageText {
    type Output = serde::de::IgnoredAny;
    const NAME: &'static str = "EditMessageText";
}

/// `sendMessage` of `reply` to `chat_id`; `sendPhoto` when the reply carries a picture. Returns the sent message's id.
async fn send(bot: &teloxide_core::Bot, chat_id: i64, reply: &Reply) -> Result<i32, RequestError> {
    if let Some(photo) = &reply.photo {
        return send_photo(bot, chat_id, reply, photo).await;
    }
    JsonRequest::new(
        bot.clone(),
        SendMessage {
            chat_id,
            text: reply.html.clone(),
            parse_mode: ParseMode::Html,
            reply_markup: convert::markup(&reply.keyboard),
        },
    )
    .await
    .map(|sent| sent.message_id)
}

/// `sendPhoto` of the picture `photo` (drawn now: the stored reply only describes it) with `reply.html` as its
/// caption and `reply`'s keyboard. A picture that cannot be drawn (a text too long for a QR code) is logged and the
/// caption sent as a plain message, so the user still gets the link.
async fn send_photo(
    bot: &teloxide_core::Bot,
    chat_id: i64,
    reply: &Reply,
    photo: &fsm::chat::Photo,
) -> Result<i32, RequestError> {
    use teloxide_core::payloads::SendPhotoSetters;
    use teloxide_core::requests::Requester;
    use teloxide_core::types::{ChatId, InputFile};
    let fsm::chat::Photo::Qr(text) = photo;
    let png = match super::photo::qr_png(text) {
        Ok(png) => png,
        Err(e) => {
            tracing::warn!(error = %e, "outbox: QR code not drawn; sending the caption alone");
            let plain = Reply {
                photo: None,
                ..reply.clone()
            };
            return Box::pin(send(bot, chat_id, &plain)).await;
        }
    };
    let mut request = bot
        .send_photo(ChatId(chat_id), InputFile::memory(png).file_name("qr.png"))
        .caption(reply.html.clone())
        .parse_mode(ParseMode::Html);
    if let Some(markup) = convert::markup(&reply.keyboard) {
        request = request.reply_markup(markup);
    }
    request.await.map(|m| m.id.0)
}

/// Sends or edits one message. An edit Telegram refuses (the message is gone, too old, or not the bot's — a forged
/// `message_id`) is sent as a new message instead, so the outcome always reaches the user. Returns the id of the
/// message sent (None for an edit and a command menu).
async fn deliver(bot: &teloxide_core::Bot, msg: &Outgoing) -> Result<Option<i32>, RequestError> {
    match &msg.message {
        OutgoingMessage::Send(reply) => send(bot, msg.chat_id, reply).await.map(Some),
        OutgoingMessage::Commands(lang) => {
            use teloxide_core::payloads::SetMyCommandsSetters;
            use teloxide_core::requests::Requester;
            use teloxide_core::types::{BotCommand, BotCommandScope, Recipient};
            let commands = fsm::text::bot_commands(msg.bot, *lang)
                .into_iter()
                .map(|(command, description)| BotCommand::new(command, description));
            bot.set_my_commands(commands)
                .scope(BotCommandScope::Chat {
                    chat_id: Recipient::Id(teloxide_core::types::ChatId(msg.chat_id)),
                })
                .await
                .map(|_| None)
        }
        OutgoingMessage::MenuButton { text, url } => {
            use teloxide_core::payloads::SetChatMenuButtonSetters;
            use teloxide_core::requests::Requester;
            use teloxide_core::types::{MenuButton, WebAppInfo};
            let Ok(url) = reqwest::Url::parse(url) else {
                // Configuration, not Telegram: retrying would not help, and the bot-wide button still opens the app.
                tracing::warn!(
                    url,
                    "the Mini App address is not a URL; the chat keeps the bot-wide button"
                );
                return Ok(None);
            };
            bot.set_chat_menu_button()
                .chat_id(teloxide_core::types::ChatId(msg.chat_id))
                .menu_button(MenuButton::WebApp {
                    text: text.clone(),
                    web_app: WebAppInfo { url },
                })
                .await
                .map(|_| None)
        }
        OutgoingMessage::Edit { message_id, reply } => {
            let request = JsonRequest::new(
                bot.clone(),
                EditMessageText {
                    chat_id: msg.chat_id,
                    message_id: *message_id,
                    text: reply.html.clone(),
                    parse_mode: ParseMode::Html,
                    reply_markup: convert::inline_markup(&reply.keyboard),
                },
            );
            match request.await {
                // A second tap edits to the same outcome: done already.
                Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(None),
                Err(RequestError::Api(e)) => {
                    tracing::debug!(error = %e, "edit refused; sending the outcome as a new message");
                    send(bot, msg.chat_id, reply).await.map(|_| None)
                }
                other => other.map(|_| None),
            }
        }
    }
}

fn quota(per_s: u32, burst: u32) -> Quota {
    let per_s = NonZeroU32::new(per_s).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(per_s).allow_burst(NonZeroU32::new(burst).unwrap_or(per_s))
}

/// A bot's rate limits, shared by its lanes and its stream readers.
pub struct Limits {
    per_bot: DefaultDirectRateLimiter,
    per_chat: DefaultKeyedRateLimiter<i64>,
    /// The bot's send limit across replicas, after the local `per_bot`.
    shared: Option<SendTokens>,
}

/// How a message ended.
pub(super) enum Sent {
    /// Accepted; the id of the message sent, when one was (not for an edit or a command menu).
    Delivered(Option<i32>),
    /// Telegram refused it for good (an API error: blocked, chat not found, bad request), or it could not be
    /// delivered for [`SEND_GIVE_UP`]: not to be tried again.
    Failed(RequestError),
    /// Not sent: `still_ours` said this process may no longer send it (its stream's lease ran out meanwhile).
    NotOurs,
}

/// Whether an API error's description is a server error's (a 5xx): the Bot API server words every 500 as
/// "Internal Server Error: …" (`Client::fail_query_with_error`, tdlib/telegram-bot-api), and a proxy in front of it
/// may answer 502/503/504 with its reason phrase. teloxide-core keeps only the description (`ApiError::Unknown`),
/// not the code. Nothing was done; the request may be made again.
fn is_server_error(description: &str) -> bool {
    [
        "Internal Server Error",
        "Bad Gateway",
        "Service Unavailable",
        "Gateway Timeout",
    ]
    .iter()
    .any(|phrase| description.starts_with(phrase))
}

/// Sends one message within the bot's limits, waiting out `retry_after` and retrying what did not reach Telegram or
/// got no answer from it (network and I/O errors, a body that is not the Bot API's JSON, such as a proxy's error page)
/// or met a server error (a 5xx, [`is_server_error`]; teloxide-core itself waits 10 s after each) for up to
/// [`SEND_GIVE_UP`]; any other API error is final at once. Counts it as sent or failed. `still_ours` is asked right before every attempt, after the waits: a process that
/// was frozen (SIGSTOP, a long pause) past its stream's lease must not send what another replica now sends.
pub(super) async fn send_with_retries(
    bot: &teloxide_core::Bot,
    msg: &Outgoing,
    limits: &Limits,
    metrics: &OutboxMetrics,
    still_ours: &dyn Fn() -> bool,
) -> Sent {
    limits.per_chat.until_key_ready(&msg.chat_id).await;
    limits.per_bot.until_ready().await;
    if let Some(shared) = &limits.shared {
        shared.acquire().await;
    }
    let started = std::time::Instant::now();
    let mut attempt = 0;
    loop {
        if !still_ours() {
            return Sent::NotOurs;
        }
        let e = match deliver(bot, msg).await {
            Ok(sent) => {
                metrics.sent.fetch_add(1, Ordering::Relaxed);
                return Sent::Delivered(sent);
            }
            Err(e) => e,
        };
        let wait = match &e {
            RequestError::RetryAfter(wait) => {
                metrics.retry_after_waits.fetch_add(1, Ordering::Relaxed);
                metrics
                    .retry_after_wait_ms
                    .fetch_add(wait.duration().as_millis() as u64, Ordering::Relaxed);
                Some(wait.duration())
            }
            RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
                Some(backoff(attempt))
            }
            RequestError::Api(ApiError::Unknown(description)) if is_server_error(description) => {
                Some(backoff(attempt))
            }
            _ => None,
        };
        match wait {
            Some(wait) if started.elapsed() + wait < SEND_GIVE_UP => {
                if attempt % 10 == 0 {
                    tracing::warn!(chat_id = msg.chat_id, attempt, error = %e, "outbox: send failed, retrying");
                }
                tokio::time::sleep(wait).await;
            }
            Some(_) => {
                metrics.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(chat_id = msg.chat_id, error = %e, "outbox: message given up after retrying");
                return Sent::Failed(e);
            }
            None => {
                metrics.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(chat_id = msg.chat_id, error = %e, "outbox: message refused by Telegram");
                return Sent::Failed(e);
            }
        }
        attempt += 1;
    }
}

/// One lane of a bot: a single consumer, so messages to a chat go out in the order they were queued.
async fn run_sender(
    bot: teloxide_core::Bot,
    mut rx: mpsc::Receiver<Outgoing>,
    limits: Arc<Limits>,
    metrics: Arc<OutboxMetrics>,
) {
    let mut sent_since_prune = 0u32;
    while let Some(msg) = rx.recv().await {
        send_with_retries(&bot, &msg, &limits, &metrics, &|| true).await;
        sent_since_prune += 1;
        if sent_since_prune >= 1_000 {
            limits.prune();
            sent_since_prune = 0;
        }
    }
}

impl Limits {
    /// Chats that have been quiet for a while no longer need a limiter entry: memory stays bounded.
    pub(super) fn prune(&self) {
        self.per_chat.retain_recent();
    }
}
