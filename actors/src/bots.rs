//! Runs the bots' dialogues: loads what a step needs from Postgres, calls the pure `step`, performs the effects it
//! names (lookups, ledger commands) and feeds their results back, until only messages to send remain.
//!
//! Everything here may run more than once for one update (a compare-and-set conflict re-runs the step), so every
//! effect is idempotent: ledger commands carry keys derived from the dialogue, registrations are upserts.

use std::sync::Arc;

use actix::Addr;
use deadpool_postgres::Pool;
use fsm::chat::{InlineButton, Keyboard, LanguageRequest, Reply, Sender, UserInput};
use fsm::client::{
    self, ClientAccess, ClientCtx, ClientEffect, ClientEvent, ClientProfile, ClientState,
    ContactOutcome, Registration,
};
use fsm::partner::{
    self, AccrualResult, ClientQuery, FoundClient, PartnerAccess, PartnerCtx, PartnerEffect,
    PartnerEvent, PartnerInfo, PartnerState,
};
use fsm::text::{AdminText, ClientText, CommonText, escape, render};
use fsm::{BotKind, CashbackRate, ClientId, Kopecks, Lang, PartnerId, Points};
use tokio_postgres::error::SqlState;

use crate::ledger::LedgerActor;
use crate::ledger_types::{IdempotencyKey, LedgerCommand, LedgerOp, LedgerOutcome};
use crate::partner_cache::{ApprovedPartner, PartnerCache};
use crate::store;

/// How many effect rounds one update may take (lookup, then ledger, then done): a bound, not a budget.
const EFFECT_ROUNDS_MAX: usize = 4;

/// What the dialogues need from the outside world.
#[derive(Clone)]
pub struct BotEnv {
    pub pg: Pool,
    pub ledger: Addr<LedgerActor>,
    pub welcome_bonus: Points,
    pub receipt_max: Kopecks,
    /// Approved partners read a moment ago.
    pub partners: Arc<PartnerCache>,
}

/// A message to send, and to whom.
#[derive(Debug, Clone, PartialEq, Eq, actix::Message)]
#[rtype(result = "()")]
pub struct Outgoing {
    pub bot: BotKind,
    pub chat_id: i64,
    pub reply: Reply,
}

/// The new state (JSON) and what to send once it is stored.
pub struct StepOutput {
    pub state_json: String,
    pub outgoing: Vec<Outgoing>,
}

#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("database unavailable")]
    Database(#[from] tokio_postgres::Error),
    #[error("database pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("{0}")]
    Other(#[from] anyhow::Error),
}

/// Runs one user input through the bot's dialogue. `raw_state` is what Redis held (None, or JSON that may no
/// longer parse, in which case the dialogue starts from the menu and the user is told).
pub async fn run(
    env: &BotEnv,
    bot: BotKind,
    sender: &Sender,
    input: UserInput,
    update_id: i64,
    raw_state: Option<&str>,
) -> Result<StepOutput, BotError> {
    match bot {
        BotKind::Partner => run_partner(env, sender, input, update_id, raw_state).await,
        BotKind::Client => run_client(env, sender, input, raw_state).await,
        BotKind::Admin => Ok(StepOutput {
            state_json: "{}".into(),
            outgoing: vec![Outgoing {
                bot,
                chat_id: sender.chat_id,
                reply: Reply::new(render(sender.lang, &AdminText::AdminOnly)),
            }],
        }),
    }
}

/// Parses a stored state; a state that no longer deserializes resets to the default with a notice.
fn parse_state<S: serde::de::DeserializeOwned + Default>(raw: Option<&str>) -> (S, bool) {
    match raw {
        None => (S::default(), false),
        Some(json) => match serde_json::from_str(json) {
            Ok(s) => (s, false),
            Err(_) => (S::default(), true),
        },
    }
}

fn reset_notice(bot: BotKind, sender: &Sender) -> Outgoing {
    Outgoing {
        bot,
        chat_id: sender.chat_id,
        reply: Reply::new(render(sender.lang, &CommonText::StateReset)),
    }
}

/// Answers `/language` (buttons) or sets the language (stored, and used for this very reply); the dialogue's state
/// is left as it was.
async fn language(
    env: &BotEnv,
    bot: BotKind,
    sender: &Sender,
    request: LanguageRequest,
    raw: Option<&str>,
) -> Result<StepOutput, BotError> {
    let reply = match request {
        LanguageRequest::Ask => Reply::with(
            render(sender.lang, &CommonText::ChooseLanguage),
            Keyboard::Inline(vec![vec![
                InlineButton {
                    text: render(sender.lang, &CommonText::BtnRussian),
                    data: "lang:ru".into(),
                },
                InlineButton {
                    text: render(sender.lang, &CommonText::BtnEnglish),
                    data: "lang:en".into(),
                },
            ]]),
        ),
        LanguageRequest::Set(lang) => {
            let db = env.pg.get().await?;
            let sql = if bot == BotKind::Partner {
                "UPDATE partners SET language_override = $1 WHERE telegram_id = $2"
            } else {
                "UPDATE clients SET language_override = $1 WHERE telegram_id = $2"
            };
            db.execute(sql, &[&lang.as_str(), &sender.user_id]).await?;
            if bot == BotKind::Partner {
                env.partners.forget(sender.user_id);
            }
            Reply::new(render(lang, &CommonText::LanguageSet))
        }
    };
    Ok(StepOutput {
        state_json: raw.unwrap_or(r#"{"state":"Menu"}"#).to_owned(),
        outgoing: vec![Outgoing {
            bot,
            chat_id: sender.chat_id,
            reply,
        }],
    })
}

fn stored_lang(value: Option<&str>) -> Option<Lang> {
    value.and_then(Lang::parse)
}

/// A read of at most one row through the connection's statement cache. The reads a dialogue step makes (who is the
/// partner, which client) are parsed and planned once per pooled connection instead of on every step.
async fn read_row(
    db: &deadpool_postgres::Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Option<tokio_postgres::Row>, tokio_postgres::Error> {
    let statement = db.prepare_cached(sql).await?;
    db.query_opt(&statement, params).await
}

/// Who the partner behind this chat is, and the language they chose. Approved partners come from the short-lived
/// cache when they were read a moment ago (see `partner_cache`); everyone else is read every time.
async fn partner_access(
    env: &BotEnv,
    telegram_id: i64,
) -> Result<(PartnerAccess, Option<Lang>), BotError> {
    if let Some(known) = env.partners.get(telegram_id) {
        return Ok((PartnerAccess::Approved(known.info), known.lang));
    }
    let db = env.pg.get().await?;
    let row = read_row(
        &db,
        "SELECT id, status, company_name, cashback_bp, language_override FROM partners WHERE telegram_id = $1",
        &[&telegram_id],
    )
    .await?;
    drop(db);
    let Some(row) = row else {
        return Ok((PartnerAccess::Unknown, None));
    };
    let lang = stored_lang(row.get(4));
    let access = match row.get::<_, &str>(1) {
        "approved" => {
            let info = PartnerInfo {
                id: PartnerId(row.get(0)),
                company: escape(row.get(2)),
                rate: CashbackRate::from_stored(row.get(3)).unwrap_or(CashbackRate::DEFAULT),
            };
            env.partners.put(
                telegram_id,
                ApprovedPartner {
                    info: info.clone(),
                    lang,
                },
            );
            PartnerAccess::Approved(info)
        }
        "pending" => PartnerAccess::Pending,
        _ => PartnerAccess::Rejected,
    };
    Ok((access, lang))
}

async fn run_partner(
    env: &BotEnv,
    sender: &Sender,
    input: UserInput,
    update_id: i64,
    raw: Option<&str>,
) -> Result<StepOutput, BotError> {
    let (access, stored) = partner_access(env, sender.user_id).await?;
    let mut sender = sender.clone();
    if let Some(lang) = stored {
        sender.lang = lang;
    }
    if let Some(request) = LanguageRequest::from_input(&input) {
        return language(env, BotKind::Partner, &sender, request, raw).await;
    }
    let (state, was_reset): (PartnerState, bool) = parse_state(raw);
    let mut outgoing = Vec::new();
    if was_reset {
        outgoing.push(reset_notice(BotKind::Partner, &sender));
    }
    let ctx = PartnerCtx {
        access,
        lang: sender.lang,
        receipt_max: env.receipt_max,
    };
    let mut t = partner::step(
        &state,
        &ctx,
        PartnerEvent::User {
            sender: sender.clone(),
            input,
            update_id,
        },
    );
    for _ in 0..EFFECT_ROUNDS_MAX {
        let mut follow_up = None;
        for effect in std::mem::take(&mut t.effects) {
            match effect {
                PartnerEffect::Reply(reply) => outgoing.push(Outgoing {
                    bot: BotKind::Partner,
                    chat_id: sender.chat_id,
                    reply,
                }),
                PartnerEffect::NotifyClient {
                    telegram_id,
                    lang,
                    partner,
                    points,
                    balance,
                } => {
                    let html = render(
                        lang,
                        &ClientText::AccrualNotice {
                            partner: &partner,
                            points,
                            balance,
                        },
                    );
                    outgoing.push(Outgoing {
                        bot: BotKind::Client,
                        chat_id: telegram_id,
                        reply: Reply::new(html),
                    });
                }
                PartnerEffect::FindClient(query) => {
                    follow_up = Some(PartnerEvent::ClientLookup(find_client(env, &query).await?))
                }
                PartnerEffect::Accrue {
                    key,
                    client,
                    partner,
                    amount,
                    rate,
                } => {
                    follow_up = Some(PartnerEvent::Accrual(
                        accrue(env, &key, client, partner, amount, rate).await,
                    ));
                }
            }
        }
        match follow_up {
            Some(event) => t = partner::step(&t.next, &ctx, event),
            None => break,
        }
    }
    Ok(StepOutput {
        state_json: serde_json::to_string(&t.next).map_err(anyhow::Error::from)?,
        outgoing,
    })
}

async fn find_client(env: &BotEnv, query: &ClientQuery) -> Result<Option<FoundClient>, BotError> {
    let db = env.pg.get().await?;
    // One select list for both lookups, as literals so each whole statement is a constant the cache can key on.
    macro_rules! select {
        () => {
            "SELECT c.id, c.telegram_id, COALESCE(c.language_override, c.language), COALESCE(a.balance, 0)
             FROM clients c LEFT JOIN accounts a ON a.kind = 'client_wallet' AND a.client_id = c.id"
        };
    }
    const BY_PHONE: &str = concat!(select!(), " WHERE c.phone = $1");
    const BY_CODE: &str = concat!(select!(), " WHERE c.member_code = $1");
    let row = match query {
        ClientQuery::Phone(p) => read_row(&db, BY_PHONE, &[&p.as_str()]).await?,
        ClientQuery::Code(c) => read_row(&db, BY_CODE, &[&c.as_str()]).await?,
    };
    Ok(row.map(|row| {
        let label = match query {
            ClientQuery::Phone(p) => partner::mask_phone(p),
            ClientQuery::Code(c) => c.to_string(),
        };
        FoundClient {
            id: ClientId(row.get(0)),
            label: escape(&label),
            telegram_id: row.get(1),
            balance: row.get(3),
            lang: if row.get::<_, &str>(2) == "en" {
                Lang::En
            } else {
                Lang::Ru
            },
        }
    }))
}

async fn accrue(
    env: &BotEnv,
    key: &str,
    client: ClientId,
    partner: PartnerId,
    amount: Kopecks,
    rate: CashbackRate,
) -> AccrualResult {
    let Some(key) = IdempotencyKey::new(key) else {
        return AccrualResult::Refused;
    };
    let command = LedgerCommand {
        key,
        op: LedgerOp::Accrue {
            client,
            partner,
            receipt: amount,
            rate,
        },
    };
    match env.ledger.send(command).await {
        Ok(Ok(reply)) => match reply.outcome {
            LedgerOutcome::Applied {
                points, balance, ..
            } => AccrualResult::Applied { points, balance },
            _ => AccrualResult::Refused,
        },
        _ => AccrualResult::Unavailable,
    }
}

async fn run_client(
    env: &BotEnv,
    sender: &Sender,
    input: UserInput,
    raw: Option<&str>,
) -> Result<StepOutput, BotError> {
    let (access, stored) = load_client(env, sender.user_id).await?;
    let mut sender = sender.clone();
    if let Some(lang) = stored {
        sender.lang = lang;
    }
    if let Some(request) = LanguageRequest::from_input(&input) {
        return language(env, BotKind::Client, &sender, request, raw).await;
    }
    let sender = &sender;
    let (state, was_reset): (ClientState, bool) = parse_state(raw);
    let mut outgoing = Vec::new();
    if was_reset {
        outgoing.push(reset_notice(BotKind::Client, sender));
    }
    let mut ctx = ClientCtx {
        access,
        lang: sender.lang,
    };
    let mut t = client::step(
        &state,
        &ctx,
        ClientEvent::User {
            sender: sender.clone(),
            input,
        },
    );
    for _ in 0..EFFECT_ROUNDS_MAX {
        let mut follow_up = None;
        for effect in std::mem::take(&mut t.effects) {
            match effect {
                ClientEffect::Reply(reply) => outgoing.push(Outgoing {
                    bot: BotKind::Client,
                    chat_id: sender.chat_id,
                    reply,
                }),
                ClientEffect::Register { referral } => {
                    follow_up = Some(register(env, sender, referral.as_deref()).await?)
                }
                ClientEffect::SaveContact { phone } => {
                    follow_up = Some(save_contact(env, sender, &phone).await?)
                }
            }
        }
        match follow_up {
            Some(event) => {
                // Registration changes what the dialogue knows about the client.
                ctx.access = load_client(env, sender.user_id).await?.0;
                t = client::step(&t.next, &ctx, event);
            }
            None => break,
        }
    }
    Ok(StepOutput {
        state_json: serde_json::to_string(&t.next).map_err(anyhow::Error::from)?,
        outgoing,
    })
}

/// The client as stored now, and the language they chose with /language, if any.
async fn load_client(
    env: &BotEnv,
    telegram_id: i64,
) -> Result<(ClientAccess, Option<Lang>), BotError> {
    let db = env.pg.get().await?;
    let row = read_row(
        &db,
        "SELECT c.member_code, c.phone_verified, COALESCE(a.balance, 0), c.language_override
         FROM clients c LEFT JOIN accounts a ON a.kind = 'client_wallet' AND a.client_id = c.id
         WHERE c.telegram_id = $1",
        &[&telegram_id],
    )
    .await?;
    Ok(match row {
        None => (ClientAccess::Unregistered, None),
        Some(row) => (
            ClientAccess::Registered(ClientProfile {
                member_code: row.get(0),
                phone_verified: row.get(1),
                balance: row.get(2),
            }),
            stored_lang(row.get(3)),
        ),
    })
}

/// Registers the sender (or finds them) and grants the welcome bonus once. The bonus command is sent on every
/// `/start` under the client's own key, so a grant that failed transiently is made good next time, and never twice.
async fn register(
    env: &BotEnv,
    sender: &Sender,
    referral: Option<&str>,
) -> Result<ClientEvent, BotError> {
    let db = env.pg.get().await?;
    let partner = match referral {
        Some(code) => db
            .query_opt(
                "SELECT id, company_name FROM partners WHERE referral_code = $1 AND status = 'approved' AND telegram_id <> $2",
                &[&code, &sender.user_id],
            )
            .await?
            .map(|row| (PartnerId(row.get(0)), escape(row.get::<_, &str>(1)))),
        None => None,
    };
    let lang = if sender.lang == Lang::En { "en" } else { "ru" };
    let (client, created) = store::upsert_client_by_telegram(
        &**db,
        sender.user_id,
        Some(&sender.first_name),
        partner.as_ref().map(|p| p.0),
    )
    .await?;
    if created {
        db.execute(
            "UPDATE clients SET language = $1 WHERE id = $2",
            &[&lang, &client.0],
        )
        .await?;
    }
    let phone_verified: bool = db
        .query_one(
            "SELECT phone_verified FROM clients WHERE id = $1",
            &[&client.0],
        )
        .await?
        .get(0);
    drop(db);
    let key = IdempotencyKey::new(format!("welcome:c{client}"))
        .ok_or_else(|| anyhow::anyhow!("bad key"))?;
    let op = LedgerOp::WelcomeBonus {
        client,
        referrer: partner.as_ref().map(|p| p.0),
        points: env.welcome_bonus,
    };
    let bonus = match env.ledger.send(LedgerCommand { key, op }).await {
        Ok(Ok(reply)) => match reply.outcome {
            LedgerOutcome::Applied { points, .. } if !reply.replayed => Some(points),
            _ => None,
        },
        _ => return Ok(ClientEvent::Unavailable),
    };
    Ok(ClientEvent::Registered(Registration {
        created: created || bonus.is_some(),
        bonus,
        partner: partner.map(|p| p.1),
        phone_verified,
    }))
}

async fn save_contact(
    env: &BotEnv,
    sender: &Sender,
    phone: &fsm::Phone,
) -> Result<ClientEvent, BotError> {
    let db = env.pg.get().await?;
    let result = db
        .execute(
            "UPDATE clients SET phone = $1, phone_verified = true, claimed_at = COALESCE(claimed_at, now())
             WHERE telegram_id = $2",
            &[&phone.as_str(), &sender.user_id],
        )
        .await;
    match result {
        Ok(_) => Ok(ClientEvent::Contact(ContactOutcome::Saved)),
        // The phone is someone else's. (Claiming a partner-enrolled record with this phone comes with enrolment.)
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            Ok(ClientEvent::Contact(ContactOutcome::Taken))
        }
        Err(e) => Err(e.into()),
    }
}
