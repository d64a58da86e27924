-- One accrual or redemption, alone in its transaction: the ledger's common case at low load (one submitter waits for
-- each commit, so every batch holds one command). It decides and writes exactly what ledger_apply_batch() would for a
-- batch of that one command, in one statement instead of a dozen PL/pgSQL steps.
--
-- The ledger actor runs it as BEGIN; SELECT pg_advisory_xact_lock(hashtextextended($1, 0)); this; COMMIT, in one
-- round trip (actors/src/ledger/actor.rs). The key's advisory lock is ledger_apply_batch()'s, so a command and its
-- repeat serialize whichever path each takes, and this statement, starting after the lock, sees the winner's
-- operation or refusal under the key.
--
-- Lock order as in ledger_apply_batch(): the key, then the client wallet (`wallet`, FOR UPDATE, read by `decided`,
-- which every write below reads first), then the partner account (`moved` updates the wallet, already locked, and
-- the partner account in one statement). In READ COMMITTED the wallet row is the latest committed version once the
-- lock is granted, so the balance check is made on what is really there.
--
-- Writes, when applied: the operation (its own journal entry, migration 0009) and the two balances, in one UPDATE of
-- both rows (Postgres prepares a table's CHECK constraints once per modifying statement, so one statement is cheaper
-- than two). A refusal writes only its key to ledger_refusals.
--
-- Answers one row of ledger_apply_batch()'s shape (outcome, operation_id, points, balance, replayed), or the outcome
-- 'fallback' with nothing written when the command needs what only the batch function does: a client's first wallet
-- or a partner's first account of this kind. The actor then runs the command through ledger_apply_batch().
--
-- Parameters: $1 key, $2 fingerprint, $3 kind ('accrual' or 'redemption'), $4 client id, $5 partner id,
-- $6 points (> 0), $7 receipt in kopecks (or NULL), $8 cashback rate in basis points (accruals; else NULL).
WITH recorded AS (
    SELECT o.fingerprint, 'applied'::text AS outcome, o.id AS operation_id, o.points, o.balance_after AS balance
      FROM operations o WHERE o.idempotency_key = $1::text
    UNION ALL
    SELECT k.fingerprint, k.outcome, NULL::bigint, k.points, k.balance
      FROM ledger_refusals k WHERE k.key = $1::text
), wallet AS (
    SELECT a.id, a.balance FROM accounts a
     WHERE a.kind = 'client_wallet' AND a.client_id = $4::bigint
       FOR UPDATE
), decided AS (
    SELECT CASE
               WHEN r.fingerprint IS NOT NULL THEN 'recorded'
               WHEN w.id IS NULL
                    AND NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = $4::bigint) THEN 'client_not_found'
               WHEN w.id IS NULL THEN 'fallback'
               WHEN p.status IS NULL THEN 'partner_not_found'
               WHEN p.status <> 'approved' THEN 'partner_not_active'
               WHEN pa.id IS NULL THEN 'fallback'
               WHEN $3::text = 'redemption' AND w.balance < $6::bigint THEN 'insufficient_points'
               ELSE 'applied'
           END AS outcome,
           r.fingerprint AS recorded_fingerprint, r.outcome AS recorded_outcome, r.operation_id AS recorded_operation,
           r.points AS recorded_points, r.balance AS recorded_balance,
           w.id AS wallet, w.balance AS balance_before, pa.id AS other,
           CASE WHEN $3::text = 'redemption' THEN -$6::bigint ELSE $6::bigint END AS delta
      FROM (VALUES (1)) AS one (x)
      LEFT JOIN (SELECT * FROM recorded LIMIT 1) r ON true
      LEFT JOIN partners p ON p.id = $5::bigint
      LEFT JOIN wallet w ON true
      LEFT JOIN accounts pa ON pa.partner_id = $5::bigint
           AND pa.kind = CASE WHEN $3::text = 'accrual' THEN 'partner_issued' ELSE 'partner_redeemed' END
), operation AS (
    -- An accrual debits the partner's issued account and credits the wallet; a redemption runs the other way.
    INSERT INTO operations (idempotency_key, fingerprint, kind, client_id, partner_id, points, receipt_kopecks,
                            cashback_bp, debit_account_id, credit_account_id, balance_after)
    SELECT $1::text, $2::text, $3::text, $4::bigint, $5::bigint, $6::bigint, $7::bigint, $8::integer,
           CASE WHEN $3::text = 'redemption' THEN d.wallet ELSE d.other END,
           CASE WHEN $3::text = 'redemption' THEN d.other ELSE d.wallet END,
           d.balance_before + d.delta
      FROM decided d
     WHERE d.outcome = 'applied'
    RETURNING id
), moved AS (
    -- The wallet by the delta and the partner account by its opposite, so the two still sum to zero.
    UPDATE accounts a SET balance = a.balance + v.delta
      FROM decided d, LATERAL (VALUES (d.wallet, d.delta), (d.other, -d.delta)) AS v (id, delta)
     WHERE a.id = v.id AND d.outcome = 'applied'
), answer AS (
    SELECT CASE
               WHEN d.outcome <> 'recorded' THEN d.outcome
               WHEN d.recorded_fingerprint = $2::text THEN d.recorded_outcome
               ELSE 'key_reused'
           END AS outcome,
           CASE
               WHEN d.outcome = 'applied' THEN (SELECT o.id FROM operation o)
               WHEN d.outcome = 'recorded' AND d.recorded_fingerprint = $2::text THEN d.recorded_operation
           END AS operation_id,
           CASE
               WHEN d.outcome <> 'recorded' THEN $6::bigint
               WHEN d.recorded_fingerprint = $2::text THEN d.recorded_points
           END AS points,
           CASE
               WHEN d.outcome = 'applied' THEN d.balance_before + d.delta
               WHEN d.outcome <> 'recorded' THEN d.balance_before
               WHEN d.recorded_fingerprint = $2::text THEN d.recorded_balance
           END AS balance,
           d.outcome = 'recorded' AND d.recorded_fingerprint = $2::text AS replayed
      FROM decided d
), refusal_recorded AS (
    -- A refusal is recorded too, so a repeat of the command replays it.
    INSERT INTO ledger_refusals (key, fingerprint, outcome, points, balance)
    SELECT $1::text, $2::text, a.outcome, a.points, a.balance
      FROM answer a, decided d
     WHERE d.outcome NOT IN ('recorded', 'fallback', 'applied')
)
SELECT outcome, operation_id, points, balance, replayed FROM answer;
