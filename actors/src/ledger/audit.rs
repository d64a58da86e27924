//! The ledger's invariants as queries that count violations; `loyalty check-ledger` prints them, tests assert zero.
//!
//! Each one is a property DESIGN.md promises. They read only, so they can run against production at any time.

/// One invariant and how many rows break it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantCheck {
    pub name: &'static str,
    pub description: &'static str,
    pub violations: i64,
}

/// How many invariants [`check`] runs (what `check-ledger` reports as "N invariants").
pub const INVARIANT_COUNT: usize = INVARIANTS.len();

const INVARIANTS: &[(&str, &str, &str)] = &[
    (
        "accounts_sum_to_zero",
        "the balances of all accounts add up to zero (1 = they do not)",
        "SELECT CASE WHEN COALESCE(SUM(balance), 0) = 0 THEN 0 ELSE 1 END::bigint FROM accounts",
    ),
    (
        "balance_equals_journal",
        "accounts whose balance differs from the sum of their journal entries",
        "SELECT count(*) FROM accounts a LEFT JOIN (
             SELECT account_id, SUM(delta) AS total FROM (
                 SELECT credit_account_id AS account_id, points AS delta FROM journal_entries
                 UNION ALL SELECT debit_account_id, -points FROM journal_entries) d
             GROUP BY account_id) j ON j.account_id = a.id
         WHERE a.balance <> COALESCE(j.total, 0)",
    ),
    (
        "wallets_not_negative",
        "client wallets below zero",
        "SELECT count(*) FROM accounts WHERE kind = 'client_wallet' AND balance < 0",
    ),
    (
        "entries_positive",
        "journal entries that move zero or negative points",
        "SELECT count(*) FROM journal_entries WHERE points <= 0",
    ),
    (
        "transfers_touch_the_wallet",
        "operations whose transfer does not move their client's wallet, or moves it from or to itself",
        "SELECT count(*) FROM operations o
         LEFT JOIN accounts w ON w.kind = 'client_wallet' AND w.client_id = o.client_id
         WHERE w.id IS NULL OR (o.debit_account_id = w.id) = (o.credit_account_id = w.id)",
    ),
    (
        "keys_unique",
        "idempotency keys used by more than one operation",
        "SELECT count(*) FROM (SELECT idempotency_key FROM operations GROUP BY idempotency_key HAVING count(*) > 1) d",
    ),
    (
        "keys_decided_once",
        "keys recorded both as refused and as applied (a refused command that moved points after all)",
        "SELECT count(*) FROM ledger_refusals f
         WHERE EXISTS (SELECT 1 FROM operations o WHERE o.idempotency_key = f.key)",
    ),
    (
        "references_resolve",
        "operations naming an account, a client or a partner that does not exist",
        "SELECT count(*) FROM operations o
          WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = o.debit_account_id)
             OR NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = o.credit_account_id)
             OR (o.partner_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM partners p WHERE p.id = o.partner_id))
             OR NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = o.client_id)",
    ),
    (
        "welcome_bonus_once",
        "clients with more than one welcome bonus",
        "SELECT count(*) FROM (SELECT client_id FROM operations WHERE kind = 'welcome_bonus'
                               GROUP BY client_id HAVING count(*) > 1) d",
    ),
    (
        "reversals_valid",
        "reversals of a reversal, or operations reversed more than once",
        "SELECT count(*) FROM operations r JOIN operations o ON o.id = r.reverses_operation_id
         WHERE o.kind = 'reversal'
            OR (SELECT count(*) FROM operations x WHERE x.reverses_operation_id = o.id) > 1",
    ),
];

/// Runs every invariant; a query that fails is an error, never a silent pass.
pub async fn check(
    client: &tokio_postgres::Client,
) -> Result<Vec<InvariantCheck>, tokio_postgres::Error> {
    let mut results = Vec::with_capacity(INVARIANTS.len());
    for (name, description, sql) in INVARIANTS {
        let violations: i64 = client.query_one(*sql, &[]).await?.get(0);
        results.push(InvariantCheck {
            name,
            description,
            violations,
        });
    }
    Ok(results)
}
