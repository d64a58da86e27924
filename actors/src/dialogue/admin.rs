//! The admin bot for the driver: its context is whether the sender is on the allow-list (configuration, checked on
//! every update, SPEC §6). It has no commands yet.

use fsm::admin::{self, AdminCommand, AdminCtx, AdminEvent, AdminState};
use fsm::chat::Sender;
use fsm::{BotKind, Lang};

use super::driver::{Dialogue, StepFn};
use super::{DialogueEnv, DialogueError};
use crate::db::languages;

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
        })
    }

    const STEP: StepFn<Self> = admin::step;

    async fn run(
        _env: &DialogueEnv,
        _ctx: &mut AdminCtx,
        _sender: &Sender,
        command: AdminCommand,
    ) -> Result<Option<AdminEvent>, DialogueError> {
        match command {}
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
