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
        "operations_journaled",
        "operations whose journal entries do not add up to their points",
        "SELECT count(*) FROM operations o
         WHERE o.points <> COALESCE((SELECT SUM(j.points) FROM journal_entries j WHERE j.operation_id = o.id), 0)",
    ),
    (
        "keys_unique",
        "idempotency keys used by more than one operation",
        "SELECT count(*) FROM (SELECT idempotency_key FROM operations GROUP BY idempotency_key HAVING count(*) > 1) d",
    ),
    (
        "applied_keys_have_operation",
        "keys recorded as applied whose operation is missing or is another key's",
        "SELECT count(*) FROM idempotency_keys k
         WHERE k.outcome = 'applied' AND NOT EXISTS (
             SELECT 1 FROM operations o WHERE o.id = k.operation_id AND o.idempotency_key = k.key)",
    ),
    (
        "operations_have_applied_key",
        "operations whose key does not record them as applied (a refused command that left a trace)",
        "SELECT count(*) FROM operations o JOIN idempotency_keys k ON k.key = o.idempotency_key
         WHERE k.outcome IS DISTINCT FROM 'applied' OR k.operation_id IS DISTINCT FROM o.id",
    ),
    (
        "references_resolve",
        "journal entries naming an account or operation, or operations naming a client or partner, that does not exist",
        "SELECT (SELECT count(*) FROM journal_entries j
                  WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = j.debit_account_id)
                     OR NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = j.credit_account_id)
                     OR NOT EXISTS (SELECT 1 FROM operations o WHERE o.id = j.operation_id))
              + (SELECT count(*) FROM operations o
                  WHERE (o.partner_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM partners p WHERE p.id = o.partner_id))
                     OR NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = o.client_id))",
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
