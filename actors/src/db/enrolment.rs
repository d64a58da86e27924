//! Clients enrolled by a partner by phone (SPEC §3), and the partner's own lookups (`/find`).
//!
//! An enrolled client is a `clients` row with the phone (unverified), no Telegram id, `registered_via =
//! 'partner_enrolment'` and `referred_by` the enrolling partner — never a fake id (prototype defect D4). The client
//! bot claims it (issue 14): when a Telegram user shares a verified contact with this phone, the row with
//! `telegram_id IS NULL AND phone = <that phone>` becomes theirs (`telegram_id`, `phone_verified = true`,
//! `claimed_at`), balance and history kept, no welcome bonus (none was granted at enrolment).

use anyhow::Context;
use fsm::{MemberCode, PartnerId, Phone};
use tokio_postgres::error::SqlState;

use super::clients::{self, ClientKey, FoundRow};
use super::read_row;

/// How often to draw a new member code when the random one is taken.
const CODE_ATTEMPTS_MAX: usize = 8;

/// The client record of `phone`, created for `partner` unless one exists (enrolled, or registered and verified in
/// the meantime). Safe to run twice: the phone is unique.
pub async fn enrol(
    db: &deadpool_postgres::Client,
    phone: &Phone,
    partner: PartnerId,
) -> anyhow::Result<FoundRow> {
    for _ in 0..CODE_ATTEMPTS_MAX {
        let code = MemberCode::from_random(rand::random::<u64>());
        let inserted = db
            .query_opt(
                "INSERT INTO clients (phone, member_code, referred_by, registered_via)
                 VALUES ($1, $2, $3, 'partner_enrolment')
                 ON CONFLICT (phone) DO NOTHING
                 RETURNING id",
                &[&phone.as_str(), &code.as_str(), &partner.0],
            )
            .await;
        match inserted {
            Ok(_) => {
                return clients::find(db, ClientKey::Phone(phone))
                    .await?
                    .context("the enrolled client is gone");
            }
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => continue,
            Err(e) => return Err(e).context("enrolling a client"),
        }
    }
    anyhow::bail!("no free member code after {CODE_ATTEMPTS_MAX} attempts")
}

/// A client as `/find` shows it to a partner they dealt with.
#[derive(Debug, Clone)]
pub struct PartnerClient {
    pub balance: i64,
    /// Accruals and redemptions with this partner.
    pub operations: i64,
    /// The last of them.
    pub last_visit: Option<std::time::SystemTime>,
}

/// The client named by `key`, only when they have dealt with `partner` (referred by them, or an accrual or
/// redemption with them); `None` alike for "no such client" and "not yours", so the caller cannot tell them apart.
pub async fn find_for_partner(
    db: &deadpool_postgres::Client,
    partner: PartnerId,
    key: ClientKey<'_>,
) -> Result<Option<PartnerClient>, tokio_postgres::Error> {
    macro_rules! select {
        () => {
            "SELECT COALESCE(a.balance, 0), v.n, v.last, c.referred_by IS NOT DISTINCT FROM $2
             FROM clients c
             LEFT JOIN accounts a ON a.kind = 'client_wallet' AND a.client_id = c.id
             CROSS JOIN LATERAL (
                 SELECT count(*) AS n, max(o.created_at) AS last FROM operations o
                 WHERE o.client_id = c.id AND o.partner_id = $2 AND o.kind IN ('accrual', 'redemption')
             ) v"
        };
    }
    const BY_PHONE: &str = concat!(select!(), " WHERE c.phone = $1");
    const BY_CODE: &str = concat!(select!(), " WHERE c.member_code = $1");
    let row = match key {
        ClientKey::Phone(p) => read_row(db, BY_PHONE, &[&p.as_str(), &partner.0]).await?,
        ClientKey::Code(c) => read_row(db, BY_CODE, &[&c.as_str(), &partner.0]).await?,
    };
    Ok(row.and_then(|row| {
        let operations: i64 = row.get(1);
        let referred: bool = row.get(3);
        (referred || operations > 0).then(|| PartnerClient {
            balance: row.get(0),
            operations,
            last_visit: row.get(2),
        })
    }))
}
