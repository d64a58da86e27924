//! The partner bot for the driver: its context (access by application status, from the short-lived cache of
//! approved partners) and its commands (client lookups, ledger accruals).

use fsm::chat::Sender;
use fsm::partner::{
    self, AccrualResult, AccrueCommand, AccrueEvent, PartnerAccess, PartnerCommand, PartnerCtx,
    PartnerEvent, PartnerInfo, PartnerState,
};
use fsm::text::escape;
use fsm::{BotKind, CashbackRate, ClientId, Kopecks, Lang, PartnerId};

use super::driver::{Dialogue, StepFn};
use super::{DialogueEnv, DialogueError};
use crate::db::partner_cache::ApprovedPartner;
use crate::db::partners::{self, PartnerStatus};
use crate::ledger::{IdempotencyKey, LedgerCommand, LedgerOp, LedgerOutcome};

/// The partner bot (SPEC §4).
pub struct PartnerBot;

impl Dialogue for PartnerBot {
    const BOT: BotKind = BotKind::Partner;
    type State = PartnerState;
    type Ctx = PartnerCtx;
    type Event = PartnerEvent;
    type Command = PartnerCommand;

    async fn context(env: &DialogueEnv, sender: &mut Sender) -> Result<PartnerCtx, DialogueError> {
        let (access, stored) = access(env, sender.user_id).await?;
        if let Some(lang) = stored {
            sender.lang = lang;
        }
        Ok(PartnerCtx {
            access,
            lang: sender.lang,
            receipt_max: env.receipt_max,
            // --- Partner back office ---
            today: fsm::calendar::network_today(&env.office.time_zone),
            categories: env.office.categories.clone(),
            // --- Partner money ---
            redeem_cap_percent: env.money.redeem_cap_percent,
        })
    }

    const STEP: StepFn<Self> = partner::step;

    async fn run(
        env: &DialogueEnv,
        ctx: &mut PartnerCtx,
        sender: &Sender,
        command: PartnerCommand,
    ) -> Result<Option<PartnerEvent>, DialogueError> {
        let command = match command {
            PartnerCommand::Accrue(command) => command,
            // --- Partner back office ---
            PartnerCommand::Office(command) => {
                return super::office::run(env, ctx, sender, command).await;
            }
            // --- A client's service request (issue 14) ---
            PartnerCommand::ServiceDecision(command) => {
                return super::service_requests::run_partner(env, sender, command).await;
            }
            // --- Partner money ---
            other => return super::money::run_partner(env, sender, other).await,
        };
        let event = match command {
            // --- Partner money: the lookup refuses the partner's own record and offers to enrol a new phone ---
            AccrueCommand::FindClient(query) => {
                super::money::accrue_lookup(env, sender, &query).await?
            }
            AccrueCommand::Enrol { phone, partner } => {
                super::money::enrol(env, &phone, partner).await?
            }
            AccrueCommand::Accrue {
                key,
                client,
                partner,
                amount,
                rate,
            } => AccrueEvent::Accrual(accrue(env, &key, client, partner, amount, rate).await),
        };
        Ok(Some(PartnerEvent::Accrue(event)))
    }

    async fn save_language(
        env: &DialogueEnv,
        sender: &Sender,
        lang: Lang,
    ) -> Result<(), DialogueError> {
        let db = env.pg.get().await?;
        partners::set_language(&**db, sender.user_id, lang).await?;
        // --- Partner back office: kept for an applicant too (no partner row yet) ---
        crate::db::languages::choose(&**db, BotKind::Partner, sender.user_id, lang).await?;
        env.partners.forget(sender.user_id);
        Ok(())
    }
}

/// Who the partner behind this chat is, and the language they chose. Approved partners come from the short-lived
/// cache when they were read a moment ago (see `db::partner_cache`); everyone else is read every time.
async fn access(
    env: &DialogueEnv,
    telegram_id: i64,
) -> Result<(PartnerAccess, Option<Lang>), DialogueError> {
    if let Some(known) = env.partners.get(telegram_id) {
        return Ok((PartnerAccess::Approved(known.info), known.lang));
    }
    let db = env.pg.get().await?;
    let row = partners::by_telegram(&db, telegram_id).await?;
    drop(db);
    let Some(row) = row else {
        // --- Partner back office: an applicant's /language choice, kept before they have a row ---
        let db = env.pg.get().await?;
        let chosen = crate::db::languages::chosen(&db, BotKind::Partner, telegram_id).await?;
        return Ok((PartnerAccess::Unknown, chosen));
    };
    let access = match row.status {
        PartnerStatus::Approved => {
            let info = PartnerInfo {
                id: row.id,
                company: escape(&row.company),
                rate: row.rate,
            };
            env.partners.put(
                telegram_id,
                ApprovedPartner {
                    info: info.clone(),
                    lang: row.language_override,
                },
            );
            PartnerAccess::Approved(info)
        }
        PartnerStatus::Pending => PartnerAccess::Pending,
        // --- Partner back office: the reason of the rejection ---
        PartnerStatus::Rejected => {
            let db = env.pg.get().await?;
            let reason = crate::db::applications::latest_reason(&db, row.id).await?;
            PartnerAccess::Rejected {
                reason: reason.as_deref().map(escape),
            }
        }
    };
    Ok((access, row.language_override))
}

async fn accrue(
    env: &DialogueEnv,
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
                operation,
                points,
                balance,
            } => AccrualResult::Applied {
                operation,
                points,
                balance,
            },
            _ => AccrualResult::Refused,
        },
        _ => AccrualResult::Unavailable,
    }
}
