//! The admin bot for the driver: its context is whether the sender is on the allow-list (configuration, checked on
//! every update, SPEC §6) and the network's rate bounds; its commands are moderation (`crate::moderation`), the
//! statistics, rates and operations (`db::admin`), reversals through the ledger actor, and the dashboard's login
//! links (`crate::dashboard_login`). Every command runs as the sender the server read, never an id from a button.

use fsm::admin::{
    self, AdminCommand, AdminCtx, AdminEvent, AdminState, Reversed, Subject, Verdict,
};
use fsm::chat::Sender;
use fsm::{BotKind, Lang};

use super::driver::{Dialogue, StepFn};
use super::{DialogueEnv, DialogueError};
use crate::dashboard_login;
use crate::db::{admin as queries, languages};
use crate::ledger::{IdempotencyKey, LedgerCommand, LedgerOp, LedgerOutcome};
use crate::moderation;

/// Cards of each kind `/pending` shows at most (the dashboard pages through all of them).
pub const QUEUE_SHOWN_MAX: i64 = 10;

/// The admin bot (SPEC §6).
pub struct AdminBot;

impl Dialogue for AdminBot {
    const BOT: BotKind = BotKind::Admin;
    type State = AdminState;
    type Ctx = AdminCtx;
    type Event = AdminEvent;
    type Command = AdminCommand;

    async fn context(env: &DialogueEnv, sender: &mut Sender) -> Result<AdminCtx, DialogueError> {
        let is_admin = env.admin_ids.contains(&sender.user_id);
        if is_admin {
            let db = env.pg.get().await?;
            if let Some(lang) = languages::chosen(&db, BotKind::Admin, sender.user_id).await? {
                sender.lang = lang;
            }
        }
        Ok(AdminCtx {
            is_admin,
            lang: sender.lang,
            rate_min: env.admin.rate_min,
            rate_max: env.admin.rate_max,
        })
    }

    const STEP: StepFn<Self> = admin::step;

    async fn run(
        env: &DialogueEnv,
        ctx: &mut AdminCtx,
        sender: &Sender,
        command: AdminCommand,
    ) -> Result<Option<AdminEvent>, DialogueError> {
        // The step refuses strangers before any command; this is the second line.
        if !ctx.is_admin || !env.admin_ids.contains(&sender.user_id) {
            return Err(DialogueError::Bug(
                "an admin command for a non-admin".into(),
            ));
        }
        let admin_id = sender.user_id;
        Ok(Some(match command {
            AdminCommand::Queue => {
                let db = env.pg.get().await?;
                AdminEvent::Queue(moderation::queue(&**db, QUEUE_SHOWN_MAX).await?)
            }
            AdminCommand::Decide { subject, verdict } => {
                decide(env, admin_id, subject, verdict).await?
            }
            AdminCommand::Stats => {
                let db = env.pg.get().await?;
                let tz = &env.office.time_zone;
                AdminEvent::Stats(queries::network_stats(&**db, jiff::Timestamp::now(), tz).await?)
            }
            AdminCommand::FindPartners { query } => {
                let db = env.pg.get().await?;
                let limit = fsm::admin::tools::PARTNERS_LISTED_MAX as i64;
                AdminEvent::Partners(queries::find_partners(&**db, &query, limit).await?)
            }
            AdminCommand::SetRate { partner, rate } => {
                // The bounds are checked again: the step checked them against the configuration of its time.
                let (min, max) = (env.admin.rate_min, env.admin.rate_max);
                if rate < min || rate > max {
                    return Err(DialogueError::Bug(format!(
                        "rate {rate} outside {min}..{max}"
                    )));
                }
                let mut db = env.pg.get().await?;
                AdminEvent::RateChanged(queries::set_rate(&mut db, admin_id, partner, rate).await?)
            }
            AdminCommand::FindOperation { id } => {
                let db = env.pg.get().await?;
                AdminEvent::Operation(queries::operation(&**db, id, &env.office.time_zone).await?)
            }
            AdminCommand::Reverse {
                operation,
                reason,
                draft,
            } => AdminEvent::Reversed(reverse(env, admin_id, operation, reason, draft).await?),
            AdminCommand::DashboardLink => {
                let settings = &env.admin;
                if settings.dashboard_url.is_empty() {
                    AdminEvent::DashboardLink(None)
                } else {
                    let store = outbox(env)?;
                    let token = dashboard_login::issue(store, admin_id, settings.login_link_ttl_s)
                        .await
                        .map_err(|e| anyhow::anyhow!("dashboard login token: {e}"))?;
                    AdminEvent::DashboardLink(Some((
                        dashboard_login::login_url(&settings.dashboard_url, &token),
                        settings.login_link_ttl_s.div_ceil(60),
                    )))
                }
            }
        }))
    }

    async fn save_language(
        env: &DialogueEnv,
        sender: &Sender,
        lang: Lang,
    ) -> Result<(), DialogueError> {
        let db = env.pg.get().await?;
        languages::choose(&**db, BotKind::Admin, sender.user_id, lang).await?;
        Ok(())
    }
}

fn outbox(env: &DialogueEnv) -> Result<&crate::session::store::SessionStore, DialogueError> {
    env.outbox
        .as_ref()
        .ok_or_else(|| DialogueError::Bug("the admin bot runs without an outbox".into()))
}

async fn decide(
    env: &DialogueEnv,
    admin_id: i64,
    subject: Subject,
    verdict: Verdict,
) -> Result<AdminEvent, DialogueError> {
    let approve = verdict == Verdict::Approve;
    let outcome = moderation::decide(&env.pg, outbox(env)?, admin_id, subject, verdict).await?;
    let db = env.pg.get().await?;
    Ok(AdminEvent::Decided {
        verdict_approve: approve,
        outcome,
        card: moderation::card(&**db, subject).await?,
    })
}

/// Reverses `operation` through the ledger actor under the key `admin-reverse:{draft}` (a second press of the same
/// Confirm, or a retry of the update, replays the first result). The ledger writes the compensating operation with
/// the admin and the reason; the audit log gets a row too.
async fn reverse(
    env: &DialogueEnv,
    admin_id: i64,
    operation: i64,
    reason: String,
    draft: fsm::callback::DraftId,
) -> Result<Reversed, DialogueError> {
    let key = IdempotencyKey::new(format!("admin-reverse:{draft}"))
        .ok_or_else(|| DialogueError::Bug("reversal key".into()))?;
    let command = LedgerCommand {
        key,
        op: LedgerOp::Reverse {
            operation: fsm::OperationId(operation),
            admin_id,
            reason: reason.clone(),
        },
    };
    // No final answer (queue full, storage down): the update fails and is retried under the same key.
    let reply = env
        .ledger
        .send(command)
        .await
        .map_err(|e| anyhow::anyhow!("ledger actor: {e}"))?
        .map_err(|e| anyhow::anyhow!("ledger: {e}"))?;
    Ok(match reply.outcome {
        LedgerOutcome::Applied {
            operation: reversal,
            balance,
            ..
        } => {
            if !reply.replayed {
                let db = env.pg.get().await?;
                let detail = serde_json::json!({ "reversal": reversal.0, "reason": reason });
                let subject = format!("operation:{operation}");
                queries::audit(&**db, admin_id, "operation.reverse", &subject, &detail).await?;
            }
            Reversed::Done {
                reversal: reversal.0,
                balance,
            }
        }
        LedgerOutcome::AlreadyReversed => Reversed::AlreadyReversed,
        LedgerOutcome::NotReversible => Reversed::NotReversible,
        LedgerOutcome::OperationNotFound => Reversed::NotFound,
        LedgerOutcome::InsufficientPoints { balance } => Reversed::InsufficientPoints { balance },
        other => {
            return Err(DialogueError::Bug(format!("reversal outcome {other:?}")));
        }
    })
}
