//! The effects of the partner-money dialogues (issue 13): enrolment by phone and the client lookups of `/accrue`
//! and `/redeem`, redemption requests, the client's consent and NPS rating, `/find` with its per-partner limit, and
//! `/stats`. The bots' `run` hands these commands here; the SQL is in `db::{enrolment, redemptions, nps, stats}`.

use std::time::Duration;

use fsm::chat::Sender;
use fsm::client::consent::{ConsentCommand, ConsentEvent, ConsentResult};
use fsm::client::nps::{NpsCommand, NpsEvent, NpsResult};
use fsm::client::{ClientCommand, ClientEvent};
use fsm::partner::accrue::{AccrueEvent, ClientQuery, FoundClient, mask_phone};
use fsm::partner::find::{ClientCard, FindCommand, FindEvent, FindResult};
use fsm::partner::redeem::{Lookup, RedeemCommand, RedeemEvent, RequestResult};
use fsm::partner::stats::{StatsCommand, StatsEvent};
use fsm::partner::{PartnerCommand, PartnerEvent};
use fsm::text::escape;
use fsm::{OperationId, PartnerId, Phone};
use jiff::tz::TimeZone;

use super::{DialogueEnv, DialogueError};
use crate::db::clients::{self, ClientKey, FoundRow};
use crate::db::enrolment;
use crate::db::nps::{self, Rated};
use crate::db::redemptions::{self, Created};
use crate::ledger::{IdempotencyKey, LedgerCommand, LedgerOp, LedgerOutcome};

/// The settings of these dialogues, from configuration.
#[derive(Clone)]
pub struct MoneyEnv {
    /// `money.redeem_cap_percent` (1..=100): the share of a receipt points may pay.
    pub redeem_cap_percent: u32,
    /// `money.redemption_consent_ttl_s`: how long a client has to answer a redemption request.
    pub consent_ttl: Duration,
    /// `partners.find_lookups_per_hour`: `/find` lookups per partner per clock hour.
    pub find_lookups_per_hour: u32,
    /// `partners.till_lookups_per_hour`: client lookups in `/accrue` and `/redeem` per partner per clock hour.
    pub till_lookups_per_hour: u32,
    /// `network.time_zone`: the calendar of `/stats` and of the dates `/find` shows.
    pub time_zone: TimeZone,
    /// Where the `/find` counters live: Redis and the key namespace. `None` refuses every lookup as over the limit
    /// (a configuration without Redis must not allow unlimited lookups).
    pub limiter: Option<(crate::redis_conn::Redis, String)>,
}

impl Default for MoneyEnv {
    /// The configuration's defaults, without a limiter.
    fn default() -> Self {
        MoneyEnv {
            redeem_cap_percent: 100,
            consent_ttl: Duration::from_secs(300),
            find_lookups_per_hour: 20,
            till_lookups_per_hour: 300,
            time_zone: TimeZone::get("Europe/Moscow").unwrap_or(TimeZone::UTC),
            limiter: None,
        }
    }
}

/// The time zone named `name` (IANA, e.g. `Europe/Moscow`) from the tz database built into the binary.
pub fn time_zone(name: &str) -> anyhow::Result<TimeZone> {
    TimeZone::get(name).map_err(|e| anyhow::anyhow!("network.time_zone {name:?}: {e}"))
}

fn found_client(row: FoundRow, label: String) -> FoundClient {
    FoundClient {
        id: row.id,
        label: escape(&label),
        telegram_id: row.telegram_id,
        balance: row.balance,
        lang: row.lang,
    }
}

fn label(query: &ClientQuery) -> String {
    match query {
        ClientQuery::Phone(p) => mask_phone(p),
        ClientQuery::Code(c) => c.to_string(),
    }
}

fn key_of(query: &ClientQuery) -> ClientKey<'_> {
    match query {
        ClientQuery::Phone(p) => ClientKey::Phone(p),
        ClientQuery::Code(c) => ClientKey::Code(c),
    }
}

/// The client a partner named in `/accrue` or `/redeem`: found, unknown, or the partner's own record (the
/// client's Telegram id is the partner's: nobody accrues or redeems to themselves).
async fn lookup(
    env: &DialogueEnv,
    sender: &Sender,
    query: &ClientQuery,
) -> Result<Lookup, DialogueError> {
    if !within_till_limit(env, sender.user_id).await? {
        return Ok(Lookup::TooMany);
    }
    let db = env.pg.get().await?;
    Ok(match clients::find(&db, key_of(query)).await? {
        Some(row) if row.telegram_id == Some(sender.user_id) => Lookup::Own,
        Some(row) => Lookup::Found(found_client(row, label(query))),
        None => Lookup::NotFound,
    })
}

/// `/accrue`'s lookup: an unknown phone offers enrolment on a screen named by a fresh draft.
pub async fn accrue_lookup(
    env: &DialogueEnv,
    sender: &Sender,
    query: &ClientQuery,
) -> Result<AccrueEvent, DialogueError> {
    Ok(match (lookup(env, sender, query).await?, query) {
        (Lookup::Found(client), _) => AccrueEvent::ClientLookup(Some(client)),
        (Lookup::Own, _) => AccrueEvent::OwnRecord,
        (Lookup::TooMany, _) => AccrueEvent::TooManyLookups,
        // The partner's own phone is never enrolled: once claimed it would be their own client record.
        (Lookup::NotFound, ClientQuery::Phone(phone)) if own_phone(env, sender, phone).await? => {
            AccrueEvent::OwnRecord
        }
        (Lookup::NotFound, ClientQuery::Phone(phone)) => AccrueEvent::UnknownPhone {
            phone: phone.clone(),
            draft: fsm::callback::DraftId::from_u128(uuid::Uuid::now_v7().as_u128()),
            by: sender.user_id,
        },
        (Lookup::NotFound, ClientQuery::Code(_)) => AccrueEvent::ClientLookup(None),
    })
}

/// Whether `phone` is the one the partner behind `sender` gave in their application.
async fn own_phone(
    env: &DialogueEnv,
    sender: &Sender,
    phone: &Phone,
) -> Result<bool, DialogueError> {
    let db = env.pg.get().await?;
    let row = db
        .query_opt(
            "SELECT 1 FROM partners WHERE telegram_id = $1 AND phone = $2",
            &[&sender.user_id, &phone.as_str()],
        )
        .await?;
    Ok(row.is_some())
}

/// Enrols `phone` for `partner` (or finds who has it by now).
pub async fn enrol(
    env: &DialogueEnv,
    phone: &Phone,
    partner: PartnerId,
) -> Result<AccrueEvent, DialogueError> {
    let db = env.pg.get().await?;
    let row = enrolment::enrol(&db, phone, partner).await?;
    Ok(AccrueEvent::Enrolled(Some(found_client(
        row,
        mask_phone(phone),
    ))))
}

/// The partner-money commands of the partner bot.
pub async fn run_partner(
    env: &DialogueEnv,
    sender: &Sender,
    command: PartnerCommand,
) -> Result<Option<PartnerEvent>, DialogueError> {
    Ok(Some(match command {
        PartnerCommand::Redeem(RedeemCommand::FindClient(query)) => PartnerEvent::Redeem(
            RedeemEvent::ClientLookup(lookup(env, sender, &query).await?),
        ),
        PartnerCommand::Redeem(RedeemCommand::Request {
            key,
            client,
            partner,
            points,
            receipt,
        }) => {
            let db = env.pg.get().await?;
            let ttl = env.money.consent_ttl.as_secs().max(1);
            let created =
                redemptions::create(&**db, &key, client, partner, points, receipt, ttl).await?;
            let result = match created {
                Created::Pending { request, balance } => RequestResult::Sent {
                    request,
                    balance,
                    minutes: i64::try_from(ttl.div_ceil(60)).unwrap_or(i64::MAX),
                },
                Created::Insufficient { balance } => RequestResult::Insufficient { balance },
                Created::NoTelegram => RequestResult::NoTelegram,
                Created::NoClient => RequestResult::Unavailable,
            };
            PartnerEvent::Redeem(RedeemEvent::Requested(result))
        }
        PartnerCommand::Find(FindCommand::Lookup { partner, query }) => {
            PartnerEvent::Find(FindEvent::Looked(find(env, partner, &query).await?))
        }
        PartnerCommand::Stats(StatsCommand::Load { partner }) => {
            let db = env.pg.get().await?;
            let stats = crate::db::stats::partner_stats(
                &**db,
                partner,
                jiff::Timestamp::now(),
                &env.money.time_zone,
            )
            .await?;
            PartnerEvent::Stats(StatsEvent::Loaded(stats))
        }
        PartnerCommand::Accrue(_)
        | PartnerCommand::Office(_)
        | PartnerCommand::ServiceDecision(_) => {
            return Err(DialogueError::Bug(
                "an accrual or back-office command sent to the money handlers".into(),
            ));
        }
    }))
}

/// `/find`: counts the lookup first (over the limit: no lookup at all), then reads only this partner's clients.
async fn find(
    env: &DialogueEnv,
    partner: PartnerId,
    query: &ClientQuery,
) -> Result<FindResult, DialogueError> {
    if !within_find_limit(env, partner).await? {
        return Ok(FindResult::TooMany);
    }
    let db = env.pg.get().await?;
    let Some(found) = enrolment::find_for_partner(&db, partner, key_of(query)).await? else {
        return Ok(FindResult::NotFound);
    };
    let last_visit = match found.last_visit {
        Some(at) => Some(crate::db::stats::network_day(at, &env.money.time_zone)?),
        None => None,
    };
    Ok(FindResult::Found(ClientCard {
        label: escape(&label(query)),
        balance: found.balance,
        operations: found.operations,
        last_visit,
    }))
}

/// One more till lookup (`/accrue`, `/redeem`) by the partner with Telegram id `telegram_id` in this clock hour,
/// counted like `/find`'s. Without a limiter (tests that build their own environment) the till is not limited.
async fn within_till_limit(env: &DialogueEnv, telegram_id: i64) -> Result<bool, DialogueError> {
    let Some((conn, namespace)) = &env.money.limiter else {
        return Ok(true);
    };
    let count = count_this_hour(conn, &format!("{namespace}till:v1:{telegram_id}")).await?;
    Ok(count <= u64::from(env.money.till_lookups_per_hour))
}

/// Increments the counter `prefix:<clock hour>` and gives it an hour's expiry, in one round trip; the new count.
async fn count_this_hour(
    conn: &crate::redis_conn::Redis,
    prefix: &str,
) -> Result<u64, DialogueError> {
    let hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 3600);
    let key = format!("{prefix}:{hour}");
    let mut conn = conn.clone();
    let (count,): (u64,) = redis::pipe()
        .atomic()
        .incr(&key, 1)
        .expire(&key, 3600)
        .ignore()
        .query_async(&mut conn)
        .await
        .map_err(|e| DialogueError::Other(anyhow::anyhow!("lookup limiter: {e}")))?;
    Ok(count)
}

/// One more `/find` lookup for `partner` in this clock hour: a Redis counter per partner and hour, incremented and
/// given its expiry in one round trip. False once the count passes `find_lookups_per_hour`.
async fn within_find_limit(env: &DialogueEnv, partner: PartnerId) -> Result<bool, DialogueError> {
    let Some((conn, namespace)) = &env.money.limiter else {
        return Ok(false);
    };
    let count = count_this_hour(conn, &format!("{namespace}find:v1:{partner}")).await?;
    Ok(count <= u64::from(env.money.find_lookups_per_hour))
}

/// The partner-money commands of the client bot.
pub async fn run_client(
    env: &DialogueEnv,
    sender: &Sender,
    command: ClientCommand,
) -> Result<Option<ClientEvent>, DialogueError> {
    Ok(Some(match command {
        ClientCommand::Consent(ConsentCommand::Decide { request, approve }) => {
            ClientEvent::Consent(ConsentEvent::Decided(
                decide(env, sender, request, approve).await?,
            ))
        }
        ClientCommand::Nps(NpsCommand::Rate { operation, rating }) => {
            let db = env.pg.get().await?;
            let result = match nps::rate(&**db, operation, sender.user_id, rating).await? {
                Rated::Stored => NpsResult::Rated { rating },
                Rated::Already => NpsResult::AlreadyRated,
                Rated::NotTheirs => NpsResult::NotYours,
            };
            ClientEvent::Nps(NpsEvent::Rated(result))
        }
        ClientCommand::Join(_)
        | ClientCommand::History(_)
        | ClientCommand::Offers(_)
        | ClientCommand::ServiceRequest(_) => {
            return Err(DialogueError::Bug(
                "a join or history command sent to the money handlers".into(),
            ));
        }
    }))
}

/// A press on Approve or Decline, checked here: the request is this client's (by Telegram id), pending and not
/// expired. See `db::redemptions` for how two presses, two replicas and the sweeper settle on one outcome.
async fn decide(
    env: &DialogueEnv,
    sender: &Sender,
    request: i64,
    approve: bool,
) -> Result<ConsentResult, DialogueError> {
    let db = env.pg.get().await?;
    let Some(row) = redemptions::load(&**db, request).await? else {
        return Ok(ConsentResult::NotYours);
    };
    if row.client_telegram != Some(sender.user_id) {
        return Ok(ConsentResult::NotYours);
    }
    let party = row.party.clone();
    // Not this press's to decide: say what became of it.
    let settled = |status: &str| match status {
        "expired" => ConsentResult::Expired {
            party: party.clone(),
            notify_partner: false,
        },
        _ => ConsentResult::AlreadyAnswered,
    };
    if row.status != "pending" {
        return Ok(settled(&row.status));
    }
    if !approve {
        if redemptions::decline(&**db, row.id).await? {
            return Ok(ConsentResult::Declined { party });
        }
        if redemptions::expire(&**db, row.id).await? {
            return Ok(ConsentResult::Expired {
                party,
                notify_partner: true,
            });
        }
        let now = redemptions::load(&**db, row.id).await?;
        return Ok(now.map_or(ConsentResult::AlreadyAnswered, |r| settled(&r.status)));
    }
    if !redemptions::claim(&**db, row.id).await? {
        if redemptions::expire(&**db, row.id).await? {
            return Ok(ConsentResult::Expired {
                party,
                notify_partner: true,
            });
        }
        let now = redemptions::load(&**db, row.id).await?;
        return Ok(now.map_or(ConsentResult::AlreadyAnswered, |r| settled(&r.status)));
    }
    drop(db);
    let key = IdempotencyKey::new(row.key.clone())
        .ok_or_else(|| DialogueError::Bug("redemption key".into()))?;
    let command = LedgerCommand {
        key,
        op: LedgerOp::Redeem {
            client: row.client,
            partner: row.partner,
            points: row.points,
            receipt: row.receipt,
        },
    };
    // No final answer: the claim stays, and the next press carries the same approval on under the same key.
    let Ok(Ok(reply)) = env.ledger.send(command).await else {
        return Ok(ConsentResult::Unavailable);
    };
    let db = env.pg.get().await?;
    let (status, operation, result) = match reply.outcome {
        LedgerOutcome::Applied {
            operation, balance, ..
        } => (
            "approved",
            Some(operation),
            ConsentResult::Approved {
                party,
                operation,
                balance,
            },
        ),
        LedgerOutcome::InsufficientPoints { balance } => (
            "failed",
            None,
            ConsentResult::Insufficient { party, balance },
        ),
        _ => ("failed", None, ConsentResult::Failed { party }),
    };
    let first =
        redemptions::finish(&**db, row.id, status, operation.map(|o: OperationId| o.0)).await?;
    Ok(if first {
        result
    } else {
        ConsentResult::AlreadyAnswered
    })
}
