//! The synthetic users: clients who join by a partner's link and share their own contact; partners who accrue and
//! redeem at the till; clients who approve or decline a redemption and rate the partner; people reading their
//! balance, history and statistics; and a share of bad input (control characters and bidi overrides in text, forged
//! and stale buttons, garbage where a number is asked). Each acts through the emulator as a person would — a message,
//! or a press on a button the bot sent — and waits for the bot's answer; latency is the update to that answer.
//!
//! A partner's till and a client's chat hold one dialogue at a time (a person does one thing at a time), so every
//! action locks its partner first and then its client; a client-only action locks the client.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use fsm::Lang;
use fsm::text::{PartnerText, render};
use loyalty::sandbox::Emulator;
use loyalty::sandbox::emulator::ChatEntry;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::history::{Completion, History, OpKind};

/// A step without the answer it waits for after this long is an error (`timeout`); its money step is `unknown`.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a step waits for its expected answer once another answer came (the expected one may follow it).
pub const OTHER_ANSWER_GRACE: Duration = Duration::from_millis(300);
/// Telegram ids of the synthetic partners and clients.
pub const PARTNER_BASE: i64 = 700_000;
pub const CLIENT_BASE: i64 = 800_000;

/// A partner at their till.
pub struct Partner {
    pub tg: i64,
    pub referral: String,
    pub till: Mutex<()>,
}

/// A client and what the history says their wallet holds.
pub struct Client {
    pub tg: i64,
    pub phone: String,
    pub chat: Mutex<ClientModel>,
}

/// The points a client is known to hold (acknowledged operations) and whether any operation is in doubt.
#[derive(Default)]
pub struct ClientModel {
    pub joined: bool,
    pub balance: i64,
}

/// One timed step.
#[derive(Debug, Clone)]
pub struct Sample {
    pub kind: &'static str,
    /// Milliseconds since the run began, when the step's update was sent.
    pub at_ms: u64,
    pub latency: Duration,
    /// `None` when the expected answer came; else what went wrong.
    pub error: Option<&'static str>,
}

/// The action mix, as weights.
#[derive(Debug, Clone, Copy)]
pub struct Mix {
    pub accrue: u32,
    pub redeem: u32,
    pub read: u32,
    pub bad: u32,
}

impl std::str::FromStr for Mix {
    type Err = String;

    /// `accrue:50,redeem:20,read:25,bad:5` (any subset; the rest 0).
    fn from_str(s: &str) -> Result<Mix, String> {
        let mut mix = Mix {
            accrue: 0,
            redeem: 0,
            read: 0,
            bad: 0,
        };
        for part in s.split(',').filter(|p| !p.is_empty()) {
            let (name, weight) = part
                .split_once(':')
                .ok_or_else(|| format!("`{part}`: expected name:weight"))?;
            let weight: u32 = weight
                .parse()
                .map_err(|_| format!("`{part}`: the weight is not a whole number"))?;
            match name {
                "accrue" => mix.accrue = weight,
                "redeem" => mix.redeem = weight,
                "read" => mix.read = weight,
                "bad" => mix.bad = weight,
                _ => return Err(format!("`{name}`: expected accrue, redeem, read or bad")),
            }
        }
        if mix.accrue + mix.redeem + mix.read + mix.bad == 0 {
            return Err("the mix is empty".into());
        }
        Ok(mix)
    }
}

/// Everything the users share.
pub struct World {
    pub emulator: Emulator,
    pub partners: Vec<Partner>,
    pub clients: Vec<Client>,
    pub history: History,
    pub samples: std::sync::Mutex<Vec<Sample>>,
    pub start: Instant,
    pub mix: Mix,
    /// Zipf over partners (rank 1 the busiest).
    pub zipf: rand_distr::Zipf<f64>,
    pub steps: AtomicU64,
    pub errors: AtomicU64,
    /// Whether a client bot tells clients of their operations (not so for the teloxide peer, which is a partner
    /// bot only): then clients wait for the rating question after each operation.
    pub client_bot: bool,
}

fn ru(key: &impl fsm::text::TextKey) -> String {
    render(Lang::Ru, key)
}

fn last_bot_id(entries: &[ChatEntry]) -> i64 {
    entries
        .iter()
        .filter(|e| e.from == "bot")
        .map(|e| e.message_id)
        .max()
        .unwrap_or(0)
}

/// The first inline button's data of a message, if it has inline buttons.
fn first_button(e: &ChatEntry) -> Option<String> {
    e.reply_markup
        .as_ref()?
        .get("inline_keyboard")?
        .get(0)?
        .get(0)?
        .get("callback_data")?
        .as_str()
        .map(str::to_owned)
}

/// All inline buttons' data of a message.
fn buttons(e: &ChatEntry) -> Vec<String> {
    e.reply_markup
        .as_ref()
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .filter_map(Value::as_array)
                .flatten()
                .filter_map(|b| b.get("callback_data")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The first `<b>number</b>` of a text (the points of an outcome message).
fn first_bold_number(text: &str) -> Option<i64> {
    let start = text.find("<b>")? + 3;
    let end = text[start..].find("</b>")? + start;
    text[start..end]
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// How long before a sender's fault a reply may have reached Telegram and still be unacknowledged by that sender.
const IN_FLIGHT_MS: i64 = 1_000;
/// A request written just before the signal reaches Telegram just after it.
const ARRIVAL_SLACK_MS: i64 = 500;

/// The sender fault (Unix ms) a second copy of a reply is explained by, if any: the first copy reached Telegram
/// (`first`, Unix ms) in the `IN_FLIGHT_MS` before the fault (or `ARRIVAL_SLACK_MS` after it), and the copy
/// (`again`) after that.
fn across_a_fault(first: i64, again: i64, sender_faults: &[i64]) -> Option<i64> {
    sender_faults.iter().copied().find(|&fault| {
        (fault - IN_FLIGHT_MS..=fault + ARRIVAL_SLACK_MS).contains(&first)
            && again > fault + ARRIVAL_SLACK_MS
    })
}

/// Replies sent more than once ([`World::replies_sent_twice`]), each as `bot user button`.
#[derive(Debug, Default)]
pub struct SentTwice {
    /// Second copies of a reply that was in flight when its sender was SIGKILLed or SIGSTOPped: at least once.
    pub across_a_fault: Vec<String>,
    /// Every other second copy.
    pub violations: Vec<String>,
}

impl World {
    /// A world of `partners` and `clients` acting with `mix`, partners' activity Zipf-skewed by `zipf` (0: uniform).
    pub fn new(
        emulator: Emulator,
        partners: Vec<Partner>,
        clients: Vec<Client>,
        mix: Mix,
        zipf: f64,
    ) -> anyhow::Result<World> {
        let start = Instant::now();
        let zipf = rand_distr::Zipf::new(partners.len() as f64, zipf.max(0.0))
            .map_err(|e| anyhow::anyhow!("zipf: {e}"))?;
        Ok(World {
            emulator,
            partners,
            clients,
            history: History::new(start),
            samples: std::sync::Mutex::new(Vec::new()),
            start,
            mix,
            zipf,
            steps: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            client_bot: true,
        })
    }

    fn elapsed_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn record(&self, kind: &'static str, sent: Instant, at_ms: u64, error: Option<&'static str>) {
        self.steps.fetch_add(1, Relaxed);
        if error.is_some() {
            self.errors.fetch_add(1, Relaxed);
        }
        let sample = Sample {
            kind,
            at_ms,
            latency: sent.elapsed(),
            error,
        };
        self.samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(sample);
    }

    /// Sends `content` from `user` to `bot` and waits until `done` holds for the chat's last entries; records the
    /// step as `kind`. Returns those entries, or `None` after [`STEP_TIMEOUT`].
    async fn step(
        &self,
        kind: &'static str,
        bot: &str,
        user: i64,
        first_name: &str,
        content: Value,
        done: impl Fn(&[ChatEntry]) -> bool,
    ) -> Option<Vec<ChatEntry>> {
        let sent = Instant::now();
        let at_ms = self.elapsed_ms();
        if self
            .emulator
            .user_update(bot, user, first_name, "ru", content)
            .is_err()
        {
            self.record(kind, sent, at_ms, Some("emulator"));
            return None;
        }
        let seen = self.wait(bot, user, &done, STEP_TIMEOUT).await;
        self.record(kind, sent, at_ms, seen.is_none().then_some("timeout"));
        seen
    }

    /// Waits until `done` holds for the chat's last 8 entries (checked on every message or edit the bot makes).
    async fn wait(
        &self,
        bot: &str,
        user: i64,
        done: &impl Fn(&[ChatEntry]) -> bool,
        timeout: Duration,
    ) -> Option<Vec<ChatEntry>> {
        let deadline = Instant::now() + timeout;
        loop {
            // The waiter is registered before the check, so an answer between the two still wakes us.
            let woken = self.emulator.next_reply(bot, user);
            let tail = self.emulator.tail(bot, user, 8);
            if done(&tail) {
                return Some(tail);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            // A notice to the same chat from another bot path can take the waiter: poll at least every 50 ms.
            let _ = tokio::time::timeout(left.min(Duration::from_millis(50)), woken).await;
        }
    }

    /// A text message expecting a new bot message after the last one.
    async fn say(
        &self,
        kind: &'static str,
        bot: &str,
        user: i64,
        text: &str,
    ) -> Option<Vec<ChatEntry>> {
        self.say_expect(kind, bot, user, text, |_| true).await
    }

    /// A text message expecting a new bot message that `answer` recognises (a notice arriving meanwhile in the
    /// same chat is not taken for the answer). A new message that is not the expected one, with no expected one
    /// after [`OTHER_ANSWER_GRACE`], is another answer (a refusal, a limit): the step ends as `refused` at once
    /// instead of waiting out [`STEP_TIMEOUT`] with the till held.
    async fn say_expect(
        &self,
        kind: &'static str,
        bot: &str,
        user: i64,
        text: &str,
        answer: impl Fn(&ChatEntry) -> bool,
    ) -> Option<Vec<ChatEntry>> {
        let before = last_bot_id(&self.emulator.tail(bot, user, 8));
        let sent = Instant::now();
        let at_ms = self.elapsed_ms();
        if self
            .emulator
            .user_update(bot, user, "Load", "ru", json!({ "text": text }))
            .is_err()
        {
            self.record(kind, sent, at_ms, Some("emulator"));
            return None;
        }
        let mut other_since: Option<Instant> = None;
        loop {
            let woken = self.emulator.next_reply(bot, user);
            let tail = self.emulator.tail(bot, user, 8);
            let mut new = tail
                .iter()
                .filter(|e| e.from == "bot" && e.message_id > before)
                .peekable();
            if new.clone().any(&answer) {
                self.record(kind, sent, at_ms, None);
                return Some(tail);
            }
            if new.peek().is_some()
                && other_since.get_or_insert_with(Instant::now).elapsed() > OTHER_ANSWER_GRACE
            {
                self.record(kind, sent, at_ms, Some("refused"));
                return None;
            }
            if sent.elapsed() > STEP_TIMEOUT {
                self.record(kind, sent, at_ms, Some("timeout"));
                return None;
            }
            let _ = tokio::time::timeout(Duration::from_millis(50), woken).await;
        }
    }

    /// A press on `message_id`'s button `data`, expecting `done`.
    async fn press(
        &self,
        kind: &'static str,
        bot: &str,
        user: i64,
        message_id: i64,
        data: &str,
        done: impl Fn(&[ChatEntry]) -> bool,
    ) -> Option<Vec<ChatEntry>> {
        let content = json!({ "callback": { "message_id": message_id, "data": data } });
        self.step(kind, bot, user, "Load", content, done).await
    }

    fn partner(&self, rng: &mut StdRng) -> &Partner {
        let rank = rng.sample(self.zipf) as usize;
        &self.partners[(rank.max(1) - 1).min(self.partners.len() - 1)]
    }

    fn client(&self, rng: &mut StdRng) -> &Client {
        &self.clients[rng.random_range(0..self.clients.len())]
    }

    /// Joins `client` by `partner`'s link: `/start <referral>` (the welcome bonus, logged as a money step), then
    /// the own contact by the button.
    pub async fn join(&self, client: &Client, partner: &Partner) {
        let mut model = client.chat.lock().await;
        let bonus = self.history.invoke(
            OpKind::Welcome,
            format!("welcome:tg{}", client.tg),
            client.tg,
            0,
        );
        let start = format!("/start {}", partner.referral);
        match self.say("join", "client", client.tg, &start).await {
            Some(tail) => {
                let points = tail
                    .iter()
                    .rev()
                    .find(|e| e.from == "bot" && e.text.starts_with("🎉"))
                    .and_then(|e| first_bold_number_after_partner(&e.text));
                match points {
                    Some(p) => {
                        self.history.complete(bonus, Completion::Ok, Some(p));
                        model.balance += p;
                    }
                    None => self.history.complete(bonus, Completion::Unknown, None),
                }
            }
            None => self.history.complete(bonus, Completion::Unknown, None),
        }
        let before = last_bot_id(&self.emulator.tail("client", client.tg, 8));
        let contact = json!({ "contact": { "phone_number": client.phone, "first_name": "Load", "user_id": client.tg } });
        let shared = self
            .step("contact", "client", client.tg, "Load", contact, |t| {
                last_bot_id(t) > before
            })
            .await;
        model.joined = shared.is_some();
    }

    /// After the faults: every partner's chat and every joined client's chat still answers (`/cancel`,
    /// `/balance`). Returns the chats that stayed silent for [`STEP_TIMEOUT`].
    pub async fn probe(&self) -> Vec<String> {
        let partners = self.partners.iter().map(|p| async move {
            let answered = self.say("probe", "partner", p.tg, "/cancel").await;
            answered.is_none().then(|| format!("partner {}", p.tg))
        });
        let clients = self.clients.iter().map(|c| async move {
            if !c.chat.lock().await.joined {
                return None;
            }
            let answered = self.say("probe", "client", c.tg, "/balance").await;
            answered.is_none().then(|| format!("client {}", c.tg))
        });
        let mut silent: Vec<String> = futures_util::future::join_all(partners)
            .await
            .into_iter()
            .flatten()
            .collect();
        silent.extend(
            futures_util::future::join_all(clients)
                .await
                .into_iter()
                .flatten(),
        );
        silent
    }

    /// Messages the bots sent more than once, among those that carry a button unique to one step (a confirm screen
    /// names its draft, a consent request its request, a rating question its operation): a reply sent twice
    /// (e.g. by two replicas' outboxes) shows as a second message with the same button. Messages without such a
    /// button cannot be told apart from a repeated answer and are not counted.
    ///
    /// `sender_faults` are the instants (Unix ms) a replica was SIGKILLed or SIGSTOPped. A copy is *across a fault*
    /// when the first one reached Telegram within `IN_FLIGHT_MS` before such an instant (or just after it: a
    /// request written before the signal still arrives) and the second one after it: the reply was in flight when
    /// its sender died or froze, sent but not yet acknowledged, and the stream's next holder had to send it again.
    /// No outbox can tell that case from an unsent reply (Telegram has no idempotent send), so it is the documented
    /// at-least-once window (`src/telegram/durable.rs`), reported apart; any other second copy is a violation.
    /// Each is described as `bot user button`.
    pub fn replies_sent_twice(&self, sender_faults: &[i64]) -> SentTwice {
        let unique = |d: &str| {
            ["1:acc:ok:", "1:red:ok:", "1:cns:ok:", "1:nps:"]
                .iter()
                .any(|p| d.starts_with(p))
        };
        let chats = self
            .partners
            .iter()
            .map(|p| ("partner", p.tg))
            .chain(self.clients.iter().map(|c| ("client", c.tg)));
        let mut twice = SentTwice::default();
        for (bot, user) in chats {
            let mut first_at = std::collections::HashMap::new();
            for entry in self.emulator.transcript(bot, user) {
                let Some(data) = first_button(&entry).filter(|d| entry.from == "bot" && unique(d))
                else {
                    continue;
                };
                match first_at.get(&data) {
                    None => {
                        first_at.insert(data, entry.received_ms);
                    }
                    Some(&first) => match across_a_fault(first, entry.received_ms, sender_faults)
                    {
                        Some(fault) => twice.across_a_fault.push(format!(
                            "{bot} {user} {data} (first {} ms before the fault, again {} ms after it)",
                            fault - first,
                            entry.received_ms - fault
                        )),
                        None => twice.violations.push(format!("{bot} {user} {data}")),
                    },
                }
            }
        }
        twice
    }

    /// One action of the mix, on random (Zipf-skewed) people.
    pub async fn act(&self, rng: &mut StdRng) {
        let m = self.mix;
        let roll = rng.random_range(0..m.accrue + m.redeem + m.read + m.bad);
        if roll < m.accrue {
            self.accrue(rng).await;
        } else if roll < m.accrue + m.redeem {
            self.redeem(rng).await;
        } else if roll < m.accrue + m.redeem + m.read {
            self.read(rng).await;
        } else {
            self.bad(rng).await;
        }
    }

    /// `/accrue` → phone → amount → Confirm; the client may rate the partner afterwards.
    async fn accrue(&self, rng: &mut StdRng) {
        let partner = self.partner(rng);
        let client = self.client(rng);
        let till = partner.till.lock().await;
        let mut model = client.chat.lock().await;
        if !model.joined {
            return;
        }
        let p = partner.tg;
        let ask_client = ru(&PartnerText::AskClient);
        if self
            .say_expect("accrue_cmd", "partner", p, "/accrue", |e| {
                e.text == ask_client
            })
            .await
            .is_none()
            || self
                .say_expect("accrue_client", "partner", p, &client.phone, |e| {
                    e.text.contains("<b>")
                })
                .await
                .is_none()
        {
            return;
        }
        let kopecks: i64 = rng.random_range(100_00..5_000_00);
        let amount = format!("{}.{:02}", kopecks / 100, kopecks % 100);
        let is_confirm =
            |e: &ChatEntry| first_button(e).is_some_and(|d| d.starts_with("1:acc:ok:"));
        let Some(tail) = self
            .say_expect("accrue_amount", "partner", p, &amount, is_confirm)
            .await
        else {
            return;
        };
        let Some((screen, data)) = tail.iter().rev().find_map(|e| {
            let d = first_button(e)?;
            d.starts_with("1:acc:ok:").then_some((e.message_id, d))
        }) else {
            return;
        };
        let draft = data.trim_start_matches("1:acc:ok:").to_string();
        let expected = kopecks * 500 / 1_000_000;
        let client_before = last_bot_id(&self.emulator.tail("client", client.tg, 8));
        let op = self.history.invoke(
            OpKind::Accrual,
            format!("accrual:{draft}"),
            client.tg,
            expected,
        );
        let outcome = self
            .press("accrue_confirm", "partner", p, screen, &data, |t| {
                t.iter()
                    .any(|e| e.message_id == screen && e.edited && first_button(e).is_none())
            })
            .await;
        let Some(tail) = outcome else {
            self.history.complete(op, Completion::Unknown, None);
            return;
        };
        let text = tail
            .iter()
            .find(|e| e.message_id == screen)
            .map(|e| e.text.clone())
            .unwrap_or_default();
        if text.starts_with("✅") {
            let shown = first_bold_number(&text).unwrap_or(expected);
            self.history.complete(op, Completion::Ok, Some(shown));
            model.balance += shown;
            // The till is free again; the client reads the notice and the rating question at their own pace.
            drop(till);
            if self.client_bot {
                self.rate(client, client_before, rng).await;
            }
        } else {
            self.history.complete(op, Completion::Fail, None);
        }
    }

    /// Waits for the rating question an operation ends with (newer than message `after` of the client's chat), so
    /// the client's chat is quiet before anyone else talks to them; taps a 0–10 rating under it half the time.
    async fn rate(&self, client: &Client, after: i64, rng: &mut StdRng) {
        let is_question = |e: &ChatEntry| {
            e.message_id > after && first_button(e).is_some_and(|d| d.starts_with("1:nps:"))
        };
        let question = self
            .wait(
                "client",
                client.tg,
                &|t: &[ChatEntry]| t.iter().any(is_question),
                STEP_TIMEOUT,
            )
            .await;
        let Some((id, data)) = question.and_then(|t| {
            t.iter()
                .rev()
                .find(|e| is_question(e))
                .map(|e| (e.message_id, buttons(e)))
        }) else {
            self.record(
                "nps_asked",
                Instant::now(),
                self.elapsed_ms(),
                Some("timeout"),
            );
            return;
        };
        if rng.random_bool(0.5) {
            let choice = data[rng.random_range(0..data.len())].clone();
            self.press("nps", "client", client.tg, id, &choice, |t| {
                t.iter().any(|e| e.message_id == id && e.edited)
            })
            .await;
        }
    }

    /// `/redeem` → phone → points → no receipt → Confirm; the client approves (mostly) or declines.
    async fn redeem(&self, rng: &mut StdRng) {
        let partner = self.partner(rng);
        let client = self.client(rng);
        let till = partner.till.lock().await;
        let mut model = client.chat.lock().await;
        if !model.joined || model.balance < 1 {
            return;
        }
        let p = partner.tg;
        // One in ten asks for more than the wallet holds: refused at once, nothing moves.
        let points = if rng.random_bool(0.1) {
            model.balance + 1
        } else {
            rng.random_range(1..=model.balance)
        };
        let ask_client = ru(&PartnerText::AskClient);
        if self
            .say_expect("redeem_cmd", "partner", p, "/redeem", |e| {
                e.text == ask_client
            })
            .await
            .is_none()
            || self
                .say_expect("redeem_client", "partner", p, &client.phone, |e| {
                    e.text.contains("<b>")
                })
                .await
                .is_none()
        {
            return;
        }
        let Some(tail) = self
            .say("redeem_points", "partner", p, &points.to_string())
            .await
        else {
            return;
        };
        if points > model.balance {
            // The refusal showed the balance; back to the menu.
            let _ = tail;
            self.say("redeem_cancel", "partner", p, "/cancel").await;
            return;
        }
        let no_receipt = ru(&PartnerText::BtnNoReceipt);
        let is_confirm =
            |e: &ChatEntry| first_button(e).is_some_and(|d| d.starts_with("1:red:ok:"));
        let Some(tail) = self
            .say_expect("redeem_receipt", "partner", p, &no_receipt, is_confirm)
            .await
        else {
            return;
        };
        let Some((screen, data)) = tail.iter().rev().find_map(|e| {
            let d = first_button(e)?;
            d.starts_with("1:red:ok:").then_some((e.message_id, d))
        }) else {
            return;
        };
        let draft = data.trim_start_matches("1:red:ok:").to_string();
        let op = self.history.invoke(
            OpKind::Redemption,
            format!("redeem:{draft}"),
            client.tg,
            points,
        );
        let sent = self
            .press("redeem_confirm", "partner", p, screen, &data, |t| {
                t.iter().any(|e| e.message_id == screen && e.edited)
            })
            .await;
        if sent.is_none() {
            self.history.complete(op, Completion::Unknown, None);
            return;
        }
        // The consent request in the client bot.
        let request = self
            .wait(
                "client",
                client.tg,
                &|t: &[ChatEntry]| {
                    t.iter()
                        .any(|e| first_button(e).is_some_and(|d| d.starts_with("1:cns:ok:")))
                },
                STEP_TIMEOUT,
            )
            .await
            .and_then(|t| {
                t.iter().rev().find_map(|e| {
                    let all = buttons(e);
                    all.first()?
                        .starts_with("1:cns:ok:")
                        .then_some((e.message_id, all))
                })
            });
        let Some((id, answers)) = request else {
            self.history.complete(op, Completion::Unknown, None);
            return;
        };
        let approve = rng.random_bool(0.85);
        let answer = if approve {
            &answers[0]
        } else {
            &answers[answers.len() - 1]
        };
        let partner_before = last_bot_id(&self.emulator.tail("partner", p, 8));
        let client_before = last_bot_id(&self.emulator.tail("client", client.tg, 8));
        let answered = self
            .press("consent", "client", client.tg, id, answer, |t| {
                t.iter()
                    .any(|e| e.message_id == id && e.edited && first_button(e).is_none())
            })
            .await;
        let Some(tail) = answered else {
            self.history.complete(op, Completion::Unknown, None);
            return;
        };
        let text = tail
            .iter()
            .find(|e| e.message_id == id)
            .map(|e| e.text.clone())
            .unwrap_or_default();
        if approve && text.starts_with("✅") {
            self.history.complete(op, Completion::Ok, Some(points));
            model.balance -= points;
        } else {
            self.history.complete(op, Completion::Fail, None);
        }
        // The partner is told the outcome in their chat: it arrives before the till takes the next customer.
        let told = |t: &[ChatEntry]| {
            t.iter()
                .any(|e| e.from == "bot" && e.message_id > partner_before)
        };
        if self.wait("partner", p, &told, STEP_TIMEOUT).await.is_none() {
            self.record(
                "partner_told",
                Instant::now(),
                self.elapsed_ms(),
                Some("timeout"),
            );
        }
        drop(till);
        if approve && text.starts_with("✅") {
            self.rate(client, client_before, rng).await;
        }
    }

    /// A client's `/balance` or `/history`, or a partner's `/stats`.
    async fn read(&self, rng: &mut StdRng) {
        match rng.random_range(0..3) {
            0 | 1 => {
                let client = self.client(rng);
                let _chat = client.chat.lock().await;
                let command = if rng.random_bool(0.5) {
                    "/balance"
                } else {
                    "/history"
                };
                self.say("read", "client", client.tg, command).await;
            }
            _ => {
                let partner = self.partner(rng);
                let _till = partner.till.lock().await;
                self.say("read", "partner", partner.tg, "/stats").await;
            }
        }
    }

    /// Bad input of the kinds the hardening issue lists; each must get an answer.
    async fn bad(&self, rng: &mut StdRng) {
        let partner = self.partner(rng);
        let _till = partner.till.lock().await;
        let p = partner.tg;
        match rng.random_range(0..4) {
            0 => {
                self.say("bad", "partner", p, "A\u{0}B \u{202e}evil <b>not html")
                    .await;
            }
            1 => {
                // A forged Confirm of a screen that was never shown.
                let forged = format!("1:acc:ok:{:032x}", rng.random::<u128>());
                let before = last_bot_id(&self.emulator.tail("partner", p, 8));
                self.press("bad", "partner", p, 1, &forged, |t| last_bot_id(t) > before)
                    .await;
            }
            2 => {
                // Garbage where the receipt amount is asked, then /cancel.
                if self.say("bad", "partner", p, "/accrue").await.is_some() {
                    self.say("bad", "partner", p, "1e9").await;
                }
                self.say("bad", "partner", p, "/cancel").await;
            }
            _ => {
                let data = format!("0:old:{}", rng.random::<u32>());
                let before = last_bot_id(&self.emulator.tail("partner", p, 8));
                self.press("bad", "partner", p, 1, &data, |t| last_bot_id(t) > before)
                    .await;
            }
        }
    }
}

/// The bonus in a welcome text: the last `<b>number</b>` (a referred welcome names the partner in bold first).
fn first_bold_number_after_partner(text: &str) -> Option<i64> {
    text.match_indices("<b>")
        .filter_map(|(i, _)| first_bold_number(&text[i..]))
        .last()
}

/// A deterministic generator for user `i` of a run seeded `seed`.
pub fn rng_for(seed: u64, i: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Runs actions back to back until `deadline` (closed loop; one worker is one person at a time).
pub async fn closed_loop(world: Arc<World>, mut rng: StdRng, deadline: Instant) {
    while Instant::now() < deadline {
        world.act(&mut rng).await;
    }
}

/// Starts one action every `1/rate` s until `deadline` (open loop: arrivals do not wait for answers), each on its
/// own task.
pub async fn open_loop(world: Arc<World>, seed: u64, rate: u64, deadline: Instant) {
    let every = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::new();
    let mut i = 0u64;
    while Instant::now() < deadline {
        tick.tick().await;
        let w = world.clone();
        let mut rng = rng_for(seed, 1_000_000 + i);
        i += 1;
        tasks.push(actix_rt::spawn(async move { w.act(&mut rng).await }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAULT: i64 = 1_764_500_000_000;

    #[test]
    fn a_copy_of_a_reply_in_flight_at_a_kill_or_freeze_is_explained_by_it() {
        // Sent 40 ms before the SIGSTOP, sent again by the stream's next holder 4 s later.
        assert_eq!(
            across_a_fault(FAULT - 40, FAULT + 4_000, &[FAULT]),
            Some(FAULT)
        );
        // Written before the signal, arrived just after it.
        assert_eq!(
            across_a_fault(FAULT + 30, FAULT + 4_000, &[FAULT]),
            Some(FAULT)
        );
        // The second of two faults explains it.
        assert_eq!(
            across_a_fault(FAULT - 10, FAULT + 3_000, &[FAULT - 20_000, FAULT]),
            Some(FAULT)
        );
    }

    #[test]
    fn any_other_second_copy_of_a_reply_is_a_violation() {
        // No fault at all.
        assert_eq!(across_a_fault(FAULT - 40, FAULT + 4_000, &[]), None);
        // Sent long before the fault: it was acknowledged, or should have been.
        assert_eq!(across_a_fault(FAULT - 5_000, FAULT + 4_000, &[FAULT]), None);
        // Both copies before the fault.
        assert_eq!(across_a_fault(FAULT - 900, FAULT - 100, &[FAULT]), None);
        // Both copies after it: nothing was in flight at the fault.
        assert_eq!(across_a_fault(FAULT + 2_000, FAULT + 4_000, &[FAULT]), None);
    }

    #[test]
    fn the_mix_parses_and_refuses_nonsense() {
        let m: Mix = "accrue:5,bad:1".parse().expect("mix");
        assert_eq!((m.accrue, m.redeem, m.read, m.bad), (5, 0, 0, 1));
        assert!("accrue:x".parse::<Mix>().is_err());
        assert!("fly:1".parse::<Mix>().is_err());
        assert!("accrue:0".parse::<Mix>().is_err());
    }

    #[test]
    fn outcome_numbers_are_read_from_bold_figures() {
        assert_eq!(
            first_bold_number("✅ Начислено <b>1 234</b> баллов"),
            Some(1234)
        );
        assert_eq!(
            first_bold_number_after_partner("🎉 от <b>Bench 1</b> и получили <b>100</b>"),
            Some(100)
        );
        assert_eq!(first_bold_number("no figure"), None);
    }
}
