//! The client bot for the driver: its context (the client as stored now) and its commands (registration with the
//! once-only welcome bonus, saving the own phone).

use fsm::chat::Sender;
use fsm::client::{
    self, ClientAccess, ClientCommand, ClientCtx, ClientEvent, ClientProfile, ClientState,
    ContactOutcome, JoinCommand, JoinEvent, Registration,
};
use fsm::text::escape;
use fsm::{BotKind, Lang};

use super::driver::{Dialogue, StepFn};
use super::{DialogueEnv, DialogueError};
use crate::db::claim::{self, Claim};
use crate::db::clients::{self, SavePhone};
use crate::db::{languages, partners};
use crate::ledger::{IdempotencyKey, LedgerCommand, LedgerOp, LedgerOutcome};

/// The client bot (SPEC §5).
pub struct ClientBot;

impl Dialogue for ClientBot {
    const BOT: BotKind = BotKind::Client;
    type State = ClientState;
    type Ctx = ClientCtx;
    type Event = ClientEvent;
    type Command = ClientCommand;

    async fn context(env: &DialogueEnv, sender: &mut Sender) -> Result<ClientCtx, DialogueError> {
        let db = env.pg.get().await?;
        let row = clients::by_telegram(&db, sender.user_id).await?;
        let chosen = match &row {
            Some(row) => {
                if row.language_override.is_none() && row.language != sender.lang {
                    // Notices to this client follow the language Telegram reports now (issue 12, item 7).
                    clients::follow_language(&**db, sender.user_id, sender.lang).await?;
                }
                row.language_override
            }
            None => languages::chosen(&db, BotKind::Client, sender.user_id).await?,
        };
        drop(db);
        if let Some(lang) = chosen {
            sender.lang = lang;
        }
        Ok(ClientCtx {
            access: row.map_or(ClientAccess::Unregistered, profile),
            lang: sender.lang,
        })
    }

    const STEP: StepFn<Self> = client::step;

    async fn run(
        env: &DialogueEnv,
        ctx: &mut ClientCtx,
        sender: &Sender,
        command: ClientCommand,
    ) -> Result<Option<ClientEvent>, DialogueError> {
        let command = match command {
            ClientCommand::Join(command) => command,
            ClientCommand::History(command) => {
                return super::client_views::run_history(env, sender, command).await;
            }
            ClientCommand::Offers(command) => {
                return super::client_views::run_offers(env, sender, command).await;
            }
            ClientCommand::ServiceRequest(command) => {
                return super::service_requests::run_client(env, sender, command).await;
            }
            // --- Partner money: consent and NPS ---
            other => return super::money::run_client(env, sender, other).await,
        };
        let event = match command {
            JoinCommand::Register { referral } => {
                register(env, sender, referral.as_deref()).await?
            }
            JoinCommand::SaveContact { phone } => save_contact(env, sender, &phone).await?,
        };
        // Registration and the phone change what the dialogue knows about the client.
        ctx.access = access(env, sender.user_id).await?;
        Ok(Some(ClientEvent::Join(event)))
    }

    async fn save_language(
        env: &DialogueEnv,
        sender: &Sender,
        lang: Lang,
    ) -> Result<(), DialogueError> {
        let db = env.pg.get().await?;
        if !clients::set_language(&**db, sender.user_id, lang).await? {
            // Not registered yet: kept until they are, then adopted (see `register`).
            languages::choose(&**db, BotKind::Client, sender.user_id, lang).await?;
        }
        drop(db);
        set_menu_button(env, sender.chat_id, lang).await;
        Ok(())
    }
}

/// Gives the client's chat its own Mini App button labelled in `lang`: the bot-wide one is in Russian, and Telegram
/// has no per-language menu buttons. Appended to the outbox streams outside the transition: setting the button
/// twice is harmless, and a button left in the old language is cosmetic, so a failure is logged, not raised.
async fn set_menu_button(env: &DialogueEnv, chat_id: i64, lang: Lang) {
    let (Some(outbox), Some(url)) = (&env.outbox, &env.miniapp_url) else {
        return;
    };
    if let Err(e) = outbox
        .append(&[crate::outgoing::Outgoing::menu_button(chat_id, lang, url)])
        .await
    {
        tracing::warn!(chat_id, error = %e, "client bot: the chat's menu button was not queued");
    }
}

/// The client as stored now.
async fn access(env: &DialogueEnv, telegram_id: i64) -> Result<ClientAccess, DialogueError> {
    let db = env.pg.get().await?;
    Ok(clients::by_telegram(&db, telegram_id)
        .await?
        .map_or(ClientAccess::Unregistered, profile))
}

fn profile(row: clients::ClientRow) -> ClientAccess {
    ClientAccess::Registered(ClientProfile {
        member_code: row.member_code,
        phone_verified: row.phone_verified,
        balance: row.balance,
    })
}

/// Registers the sender (or finds them) and grants the welcome bonus once. The bonus command is sent on every
/// `/start` under the client's own key, so a grant that failed transiently is made good next time, and never twice.
async fn register(
    env: &DialogueEnv,
    sender: &Sender,
    referral: Option<&str>,
) -> Result<JoinEvent, DialogueError> {
    let db = env.pg.get().await?;
    let partner = match referral {
        Some(code) => partners::referrer(&db, code, sender.user_id).await?,
        None => None,
    };
    let (client, created) = crate::db::clients::upsert_client_by_telegram(
        &**db,
        sender.user_id,
        Some(&sender.first_name),
        partner.as_ref().map(|p| p.0),
    )
    .await?;
    if created {
        clients::set_registration_language(&**db, client, sender.lang).await?;
        clients::adopt_language_choice(&**db, client, sender.user_id).await?;
        if sender.lang != Lang::Ru {
            set_menu_button(env, sender.chat_id, sender.lang).await;
        }
    }
    let phone_verified = clients::phone_verified(&**db, client).await?;
    drop(db);
    // A claim whose bonus settlement was cut short: finish it before this record's own bonus (never two). Until it
    // is finished the welcome stays as it is, and the client is still welcomed (a refused reversal is for support).
    let bonus = if settle_claim(env, client).await? {
        let key = IdempotencyKey::new(format!("welcome:c{client}"))
            .ok_or_else(|| DialogueError::Bug("welcome key".into()))?;
        let op = LedgerOp::WelcomeBonus {
            client,
            referrer: partner.as_ref().map(|p| p.0),
            points: env.welcome_bonus,
        };
        match env.ledger.send(LedgerCommand { key, op }).await {
            Ok(Ok(reply)) => match reply.outcome {
                LedgerOutcome::Applied { points, .. } if !reply.replayed => Some(points),
                _ => None,
            },
            _ => return Ok(JoinEvent::Unavailable),
        }
    } else {
        None
    };
    Ok(JoinEvent::Registered(Registration {
        created: created || bonus.is_some(),
        bonus,
        partner: partner.map(|p| escape(&p.1)),
        phone_verified,
    }))
}

/// The sender's own verified phone: the claim of the record a partner enrolled with it, or else the phone saved on
/// the sender's record.
async fn save_contact(
    env: &DialogueEnv,
    sender: &Sender,
    phone: &fsm::Phone,
) -> Result<JoinEvent, DialogueError> {
    let mut db = env.pg.get().await?;
    match claim::claim(&mut db, sender.user_id, phone).await? {
        Claim::Claimed { into } => {
            let referrer = claim::referrer(&db, into).await?;
            drop(db);
            if !settle_claim(env, into).await? {
                return Ok(JoinEvent::Unavailable);
            }
            // The one welcome bonus of the person, on the record that is theirs now (the fresh row's is reversed).
            let key = IdempotencyKey::new(format!("welcome:c{into}"))
                .ok_or_else(|| DialogueError::Bug("welcome key".into()))?;
            let op = LedgerOp::WelcomeBonus {
                client: into,
                referrer,
                points: env.welcome_bonus,
            };
            match env.ledger.send(LedgerCommand { key, op }).await {
                Ok(Ok(_)) => Ok(JoinEvent::Contact(ContactOutcome::Claimed)),
                _ => Ok(JoinEvent::Unavailable),
            }
        }
        Claim::OwnRecordActive => Ok(JoinEvent::Contact(ContactOutcome::Taken)),
        Claim::NotEnrolled => Ok(JoinEvent::Contact(
            match clients::save_own_phone(&**db, sender.user_id, phone).await? {
                SavePhone::Saved => ContactOutcome::Saved,
                SavePhone::Taken => ContactOutcome::Taken,
            },
        )),
    }
}

/// Reverses the welcome bonuses of records a claim retired into `client` (ledger keys `claim:c<retired>`, so a
/// retry is one reversal). False when one is not settled yet (the ledger did not answer, or refused it because the
/// retired wallet no longer holds the bonus): then `client` must not get its own bonus yet.
async fn settle_claim(env: &DialogueEnv, client: fsm::ClientId) -> Result<bool, DialogueError> {
    let db = env.pg.get().await?;
    let retired = claim::unsettled_bonuses(&db, client).await?;
    drop(db);
    for bonus in retired {
        let key = IdempotencyKey::new(format!("claim:c{}", bonus.retired))
            .ok_or_else(|| DialogueError::Bug("claim key".into()))?;
        let op = LedgerOp::Reverse {
            operation: bonus.operation,
            // No admin asked: 0 marks the system's own compensation, the reason says which claim.
            admin_id: 0,
            reason: format!(
                "claim: client {} retired into client {client}",
                bonus.retired
            ),
        };
        match env.ledger.send(LedgerCommand { key, op }).await {
            Ok(Ok(reply)) => match reply.outcome {
                LedgerOutcome::Applied { .. } | LedgerOutcome::AlreadyReversed => {}
                other => {
                    tracing::warn!(?other, retired = %bonus.retired, "a claim's welcome bonus was not reversed");
                    return Ok(false);
                }
            },
            _ => return Ok(false),
        }
    }
    Ok(true)
}
