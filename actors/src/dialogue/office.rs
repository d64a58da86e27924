//! The partner back office's commands for the driver: applications, promotions, services, the invitation link and
//! settings (`fsm::partner::office`). Each command names the partner by the id the server read for this update;
//! the queries match it with the rows (`db::{promotions, services}`), so a forged id changes nothing.

use fsm::chat::Sender;
use fsm::partner::{
    ApplyCommand, ApplyEvent, OfficeCommand, OfficeEvent, PartnerCtx, PartnerEvent, PromoCommand,
    PromoEvent, ServiceCommand, ServiceEvent, SettingsCommand, SettingsEvent,
};

use super::{DialogueEnv, DialogueError};
use crate::db::applications::{self, Submission};
use crate::db::{promotions, services};
use crate::moderation;

/// Runs one back-office command; its result is the next event of the dialogue.
pub async fn run(
    env: &DialogueEnv,
    _ctx: &mut PartnerCtx,
    sender: &Sender,
    command: OfficeCommand,
) -> Result<Option<PartnerEvent>, DialogueError> {
    let event = match command {
        OfficeCommand::Apply(c) => OfficeEvent::Apply(apply(env, sender, c).await?),
        OfficeCommand::Promo(c) => OfficeEvent::Promo(promo(env, c).await?),
        OfficeCommand::Service(c) => OfficeEvent::Service(service(env, c).await?),
        OfficeCommand::Invite { partner } => {
            let db = env.pg.get().await?;
            let code = applications::referral_code(&**db, partner)
                .await?
                .ok_or_else(|| DialogueError::Bug(format!("partner {} has no row", partner.0)))?;
            OfficeEvent::Invite {
                link: format!(
                    "https://t.me/{}?start={code}",
                    env.office.client_bot_username
                ),
            }
        }
        OfficeCommand::Settings(c) => OfficeEvent::Settings(settings(env, sender, c).await?),
    };
    Ok(Some(PartnerEvent::Office(event)))
}

/// The admins to notify, sorted, with their languages.
async fn admins(env: &DialogueEnv) -> Result<(Vec<i64>, Vec<(i64, fsm::Lang)>), DialogueError> {
    let mut ids: Vec<i64> = env.admin_ids.iter().copied().collect();
    ids.sort_unstable();
    let db = env.pg.get().await?;
    let langs = applications::admin_languages(&**db, &ids).await?;
    Ok((ids, langs))
}

async fn apply(
    env: &DialogueEnv,
    sender: &Sender,
    command: ApplyCommand,
) -> Result<ApplyEvent, DialogueError> {
    let ApplyCommand::Submit { draft, form } = command;
    let (ids, langs) = admins(env).await?;
    let mut db = env.pg.get().await?;
    let submitted = applications::submit(
        &mut db,
        sender.user_id,
        sender.lang,
        draft.as_str(),
        &form,
        &ids,
    )
    .await?;
    Ok(match submitted {
        Submission::Stored => {
            let db = env.pg.get().await?;
            let partner: i64 = db
                .query_one(
                    "SELECT id FROM partners WHERE telegram_id = $1",
                    &[&sender.user_id],
                )
                .await?
                .get(0);
            let card = moderation::application(&**db, partner)
                .await?
                .ok_or_else(|| DialogueError::Bug(format!("application {partner} vanished")))?;
            ApplyEvent::Submitted {
                admins: langs,
                card: Box::new(card),
            }
        }
        Submission::NotAllowed => ApplyEvent::NotAllowed,
    })
}

async fn promo(env: &DialogueEnv, command: PromoCommand) -> Result<PromoEvent, DialogueError> {
    let db = env.pg.get().await?;
    let db = &**db;
    Ok(match command {
        PromoCommand::List { partner } => PromoEvent::Listed(promotions::list(db, partner).await?),
        PromoCommand::Open { partner, id, then } => PromoEvent::Opened {
            promo: promotions::own(db, partner, id).await?,
            then,
        },
        PromoCommand::Create {
            partner,
            draft,
            promo,
        } => {
            promotions::create(db, partner, draft.as_str(), &promo).await?;
            PromoEvent::Created
        }
        PromoCommand::Update { partner, promo } => {
            PromoEvent::Updated(promotions::update(db, partner, &promo).await?)
        }
        PromoCommand::Delete { partner, id } => {
            PromoEvent::Deleted(promotions::delete(db, partner, id).await?)
        }
    })
}

async fn service(
    env: &DialogueEnv,
    command: ServiceCommand,
) -> Result<ServiceEvent, DialogueError> {
    if let ServiceCommand::Create {
        partner,
        draft,
        title,
        description,
        price,
    } = &command
    {
        let (ids, langs) = admins(env).await?;
        let db = env.pg.get().await?;
        let id =
            services::create(&**db, *partner, draft.as_str(), title, description, *price).await?;
        applications::record_notifications(&**db, &ids, &format!("service:{id}")).await?;
        let card = moderation::service(&**db, id)
            .await?
            .ok_or_else(|| DialogueError::Bug(format!("service {id} vanished")))?;
        return Ok(ServiceEvent::Created {
            admins: langs,
            card,
        });
    }
    let db = env.pg.get().await?;
    let db = &**db;
    Ok(match command {
        ServiceCommand::List { partner } => {
            ServiceEvent::Listed(services::list(db, partner).await?)
        }
        ServiceCommand::Open { partner, id, then } => ServiceEvent::Opened {
            service: services::own(db, partner, id).await?,
            then,
        },
        ServiceCommand::Delete { partner, id } => {
            ServiceEvent::Deleted(services::delete(db, partner, id).await?)
        }
        ServiceCommand::Create { .. } => {
            return Err(DialogueError::Bug("service creation handled above".into()));
        }
    })
}

async fn settings(
    env: &DialogueEnv,
    sender: &Sender,
    command: SettingsCommand,
) -> Result<SettingsEvent, DialogueError> {
    let db = env.pg.get().await?;
    Ok(match command {
        SettingsCommand::Load { partner } => {
            let profile = applications::profile(&**db, partner)
                .await?
                .ok_or_else(|| DialogueError::Bug(format!("partner {} has no row", partner.0)))?;
            SettingsEvent::Profile(profile)
        }
        SettingsCommand::Save {
            partner,
            field,
            value,
        } => {
            applications::save_field(&**db, partner, field, &value).await?;
            // The company name is in the cached partner: read it again at the next step.
            env.partners.forget(sender.user_id);
            SettingsEvent::Saved
        }
    })
}
