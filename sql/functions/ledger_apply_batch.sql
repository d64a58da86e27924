-- Group commit, set-based: one call applies a whole batch of ledger commands in a fixed number of statements. The
-- ledger actor sends it with BEGIN and COMMIT in one round trip (actors/src/ledger.rs).
--
-- It reads what the whole batch needs in one statement, decides every command in memory, writes the operations (each
-- its own journal entry, migration 0009), wallet balances and refusals in one statement, and last moves the shared
-- side of every transfer (partner accounts, the bonus pool). Those rows are in nearly every transaction; holding them
-- only from the last statement to the commit lets two ledger transactions overlap (inflight_max > 1) instead of
-- queueing behind each other's whole write.
--
-- Lock order, the same for every ledger transaction in every process, so none can deadlock: idempotency keys
-- (advisory locks, in hash order), then client wallets (in id order), then the shared accounts every batch touches
-- (partner accounts, the bonus pool; in id order, just before commit).
--
-- Outcomes: applied, insufficient_points, client_not_found, partner_not_found, partner_not_active,
-- welcome_already_granted, operation_not_found, already_reversed, not_reversible, key_reused. A refusal is decided
-- before anything is written, so a refused command leaves only its key and outcome behind (ledger_refusals). An
-- unexpected error (a constraint) aborts the statement; the ledger actor then splits the batch until only the culprit
-- fails.
--
-- The arrays are parallel, one element per command, in submission order. Commands within a batch see each other
-- exactly as if they ran one after another: a key repeated later in the batch replays the first one's outcome, and
-- balances and the one-welcome-bonus rule carry from command to command.
--
-- Applied by the migrator whenever this file's checksum changes (src/migrate.rs); a change of the argument or result
-- types needs a DROP FUNCTION IF EXISTS of the old signature at the top of this file, as CREATE OR REPLACE cannot
-- change them.

CREATE OR REPLACE FUNCTION ledger_apply_batch(
    p_keys text[], p_fingerprints text[], p_kinds text[], p_clients bigint[], p_partners bigint[],
    p_points bigint[], p_receipts bigint[], p_bps integer[], p_reverses bigint[], p_reasons text[],
    p_actors bigint[])
RETURNS TABLE (r_outcome text, r_operation_id bigint, r_points bigint, r_balance bigint, r_replayed boolean)
LANGUAGE plpgsql
-- Custom plans would be re-planned on every call (their estimate always beats the generic one for array inputs):
-- ~0.5 ms of planning per batch. The generic plans must not scan: a batch is at most a few dozen rows, each found
-- by an index.
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
    n            integer := COALESCE(array_length(p_keys, 1), 0);
    -- What each command answers.
    o_outcome    text[]    := array_fill(NULL::text, ARRAY[n]);
    o_op         bigint[]  := array_fill(NULL::bigint, ARRAY[n]);
    o_points     bigint[]  := p_points;
    o_balance    bigint[]  := array_fill(NULL::bigint, ARRAY[n]);
    o_replayed   boolean[] := array_fill(false, ARRAY[n]);
    -- How each command is decided and written.
    c_decided    boolean[] := array_fill(false, ARRAY[n]);  -- replayed, or refused before the money step
    c_fresh      boolean[] := array_fill(false, ARRAY[n]);  -- this call writes its key row
    c_client     bigint[]  := p_clients;                    -- whose wallet moves (a reversal: the original's)
    c_partner    bigint[]  := p_partners;
    c_other      bigint[]  := array_fill(NULL::bigint, ARRAY[n]);  -- the non-wallet account
    c_status     text[]    := array_fill(NULL::text, ARRAY[n]);    -- the partner's status, when there is one
    c_orig_kind  text[]    := array_fill(NULL::text, ARRAY[n]);    -- a reversal's original operation
    c_orig_points bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    c_reversed   boolean[] := array_fill(false, ARRAY[n]);
    c_new_op     bigint[]  := array_fill(NULL::bigint, ARRAY[n]);  -- set only where this call applies
    c_debit      bigint[]  := array_fill(NULL::bigint, ARRAY[n]);
    c_credit     bigint[]  := array_fill(NULL::bigint, ARRAY[n]);
    -- One element per distinct client wallet the batch touches.
    w_client     bigint[]  := '{}';
    w_id         bigint[]  := '{}';
    w_balance    bigint[]  := '{}';
    w_welcomed   boolean[] := '{}';
    w_dirty      boolean[] := '{}';
    -- Operations this batch reverses, so a second reversal of one of them is refused.
    v_reversing  bigint[]  := '{}';
    v_pool       bigint;
    v_welcomes   bigint[];
    r            record;
    i            integer;
    j            integer;
    w            integer;
    v_debit_is_wallet boolean;
    v_create_wallets  boolean := false;
    v_create_partner_accounts boolean := false;
BEGIN
    IF n = 0 THEN
        RETURN;
    END IF;
    FOR i IN 1 .. n LOOP
        IF p_kinds[i] IS NULL OR p_kinds[i] NOT IN ('accrual', 'redemption', 'welcome_bonus', 'reversal') THEN
            RAISE EXCEPTION 'unknown ledger command %', p_kinds[i] USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;

    -- 1. Keys. Serializes commands with the same key across transactions and processes: the loser waits for the
    --    winner's commit and then finds its row (step 3).
    PERFORM pg_advisory_xact_lock(s.h)
       FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(p_keys) AS k ORDER BY 1) AS s;
    -- 2. Reversals: the original operation and its transfer.
    IF 'reversal' = ANY (p_kinds) THEN
        FOR r IN SELECT u.i::integer AS i, o.kind, o.client_id, o.partner_id, o.points,
                        o.debit_account_id, o.credit_account_id,
                        EXISTS (SELECT 1 FROM operations x WHERE x.reverses_operation_id = o.id) AS reversed
                   FROM unnest(p_reverses, p_kinds) WITH ORDINALITY AS u(op, kind, i)
                   JOIN operations o ON o.id = u.op
                  WHERE u.kind = 'reversal'
        LOOP
            c_orig_kind[r.i] := r.kind;
            c_client[r.i] := r.client_id;
            c_partner[r.i] := r.partner_id;
            c_reversed[r.i] := r.reversed;
            c_orig_points[r.i] := r.points;
            -- The compensating entry runs the original backwards.
            c_debit[r.i] := r.credit_account_id;
            c_credit[r.i] := r.debit_account_id;
            c_other[r.i] := CASE WHEN r.kind = 'redemption' THEN r.credit_account_id ELSE r.debit_account_id END;
        END LOOP;
    END IF;

    -- 3. One read for everything else: a recorded outcome under the key (its operation, or its refusal), the
    --    client, the partner, and whether the wallet and the partner account exist yet (the common case: they do,
    --    and nothing is created).
    FOR r IN SELECT u.i::integer AS i, u.kind, k.key IS NOT NULL AS key_found, k.fingerprint, k.outcome,
                    k.operation_id, k.points, k.balance, c.id IS NOT NULL AS client_found, p.status,
                    wa.id IS NOT NULL AS wallet_found, pa.id AS partner_account
               FROM unnest(p_keys, p_clients, p_partners, p_kinds) WITH ORDINALITY AS u(key, client, partner, kind, i)
               LEFT JOIN LATERAL (
                        SELECT o.idempotency_key AS key, o.fingerprint, 'applied'::text AS outcome,
                               o.id AS operation_id, o.points, o.balance_after AS balance
                          FROM operations o WHERE o.idempotency_key = u.key
                        UNION ALL
                        SELECT f.key, f.fingerprint, f.outcome, NULL::bigint, f.points, f.balance
                          FROM ledger_refusals f WHERE f.key = u.key
                        LIMIT 1) k ON true
               LEFT JOIN clients c ON c.id = u.client
               LEFT JOIN partners p ON p.id = u.partner
               LEFT JOIN accounts wa ON wa.kind = 'client_wallet' AND wa.client_id = c.id
               LEFT JOIN accounts pa ON pa.partner_id = p.id AND u.kind IN ('accrual', 'redemption')
                    AND pa.kind = CASE WHEN u.kind = 'accrual' THEN 'partner_issued' ELSE 'partner_redeemed' END
    LOOP
        IF r.key_found THEN
            c_decided[r.i] := true;
            IF r.fingerprint <> p_fingerprints[r.i] THEN
                o_outcome[r.i] := 'key_reused';
                o_points[r.i] := NULL;
            ELSE
                o_outcome[r.i] := r.outcome;
                o_op[r.i] := r.operation_id;
                o_points[r.i] := r.points;
                o_balance[r.i] := r.balance;
                o_replayed[r.i] := true;
            END IF;
        END IF;
        IF r.kind <> 'reversal' THEN
            IF NOT r.client_found THEN
                c_client[r.i] := NULL;
            ELSIF NOT r.wallet_found THEN
                v_create_wallets := true;
            END IF;
            c_status[r.i] := r.status;
            IF r.status = 'approved' AND r.kind IN ('accrual', 'redemption') THEN
                c_other[r.i] := r.partner_account;
                v_create_partner_accounts := v_create_partner_accounts OR r.partner_account IS NULL;
            END IF;
        END IF;
    END LOOP;
    FOR i IN 1 .. n LOOP
        IF NOT c_decided[i] THEN
            j := array_position(p_keys, p_keys[i]);
            IF j < i THEN
                c_decided[i] := true;  -- a repeat within the batch; answered after its first occurrence
            ELSE
                c_fresh[i] := true;
            END IF;
        END IF;
    END LOOP;

    -- 4. Wallets: every client a fresh command names, created on first use and locked in id order.
    FOR i IN 1 .. n LOOP
        IF c_fresh[i] AND c_client[i] IS NOT NULL AND NOT c_client[i] = ANY (w_client) THEN
            w_client := w_client || c_client[i];
        END IF;
    END LOOP;
    IF array_length(w_client, 1) > 0 THEN
        IF v_create_wallets THEN
            -- In client order: two transactions creating the same wallets wait for each other in one order only.
            INSERT INTO accounts (kind, client_id)
                SELECT 'client_wallet', x FROM unnest(w_client) AS x
                 WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.kind = 'client_wallet' AND a.client_id = x)
                 ORDER BY x
                ON CONFLICT DO NOTHING;
        END IF;
        w_id := array_fill(NULL::bigint, ARRAY[array_length(w_client, 1)]);
        w_balance := array_fill(0::bigint, ARRAY[array_length(w_client, 1)]);
        w_welcomed := array_fill(false, ARRAY[array_length(w_client, 1)]);
        w_dirty := array_fill(false, ARRAY[array_length(w_client, 1)]);
        FOR r IN SELECT a.id, a.client_id, a.balance FROM accounts a
                  WHERE a.kind = 'client_wallet' AND a.client_id = ANY (w_client)
                  ORDER BY a.id FOR UPDATE
        LOOP
            w := array_position(w_client, r.client_id);
            w_id[w] := r.id;
            w_balance[w] := r.balance;
        END LOOP;
        -- Read under the wallet lock, so a concurrent grant for the same client cannot slip in between.
        IF 'welcome_bonus' = ANY (p_kinds) THEN
            SELECT array_agg(o.client_id) INTO v_welcomes FROM operations o
             WHERE o.kind = 'welcome_bonus' AND o.client_id = ANY (w_client);
            FOR w IN 1 .. array_length(w_client, 1) LOOP
                w_welcomed[w] := w_client[w] = ANY (COALESCE(v_welcomes, '{}'));
            END LOOP;
        END IF;
    END IF;

    -- 5. The partner accounts of accruals and redemptions a partner makes for the first time; the bonus pool.
    IF v_create_partner_accounts THEN
        INSERT INTO accounts (kind, partner_id)
            SELECT DISTINCT CASE WHEN u.kind = 'accrual' THEN 'partner_issued' ELSE 'partner_redeemed' END AS kind,
                   u.partner
              FROM unnest(p_kinds, p_partners, c_status, c_fresh) AS u(kind, partner, status, fresh)
             WHERE u.fresh AND u.kind IN ('accrual', 'redemption') AND u.status = 'approved'
               AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.partner_id = u.partner
                                  AND a.kind = CASE WHEN u.kind = 'accrual' THEN 'partner_issued' ELSE 'partner_redeemed' END)
             ORDER BY 2, 1
            ON CONFLICT DO NOTHING;
        FOR r IN SELECT u.i::integer AS i, a.id
                   FROM unnest(p_kinds, p_partners, c_status, c_fresh) WITH ORDINALITY AS u(kind, partner, status, fresh, i)
                   JOIN accounts a ON a.partner_id = u.partner
                    AND a.kind = CASE WHEN u.kind = 'accrual' THEN 'partner_issued' ELSE 'partner_redeemed' END
                  WHERE u.fresh AND u.kind IN ('accrual', 'redemption') AND u.status = 'approved'
        LOOP
            c_other[r.i] := r.id;
        END LOOP;
    END IF;
    IF 'welcome_bonus' = ANY (p_kinds) THEN
        SELECT a.id INTO v_pool FROM accounts a WHERE a.kind = 'bonus_pool';
    END IF;

    -- 6. Decide every command in order, as if each ran alone after the one before.
    FOR i IN 1 .. n LOOP
        CONTINUE WHEN NOT c_fresh[i];
        o_outcome[i] := 'applied';
        IF p_kinds[i] = 'reversal' THEN
            IF c_orig_kind[i] IS NULL THEN
                o_outcome[i] := 'operation_not_found';
            ELSIF c_orig_kind[i] = 'reversal' THEN
                o_outcome[i] := 'not_reversible';
            ELSIF c_reversed[i] OR p_reverses[i] = ANY (v_reversing) THEN
                o_outcome[i] := 'already_reversed';
            ELSE
                o_points[i] := c_orig_points[i];  -- a reversal moves what the original moved
            END IF;
        ELSIF c_client[i] IS NULL THEN
            o_outcome[i] := 'client_not_found';
        ELSIF p_partners[i] IS NOT NULL THEN
            IF c_status[i] IS NULL THEN
                o_outcome[i] := 'partner_not_found';
            ELSIF c_status[i] <> 'approved' THEN
                o_outcome[i] := 'partner_not_active';
            END IF;
        ELSIF p_kinds[i] <> 'welcome_bonus' THEN
            o_outcome[i] := 'partner_not_found';
        END IF;
        w := CASE WHEN c_client[i] IS NULL THEN NULL ELSE array_position(w_client, c_client[i]) END;
        IF o_outcome[i] = 'applied' AND p_kinds[i] = 'welcome_bonus' AND w_welcomed[w] THEN
            o_outcome[i] := 'welcome_already_granted';
        END IF;
        IF o_outcome[i] = 'applied' THEN
            IF p_kinds[i] = 'reversal' THEN
                v_debit_is_wallet := c_orig_kind[i] <> 'redemption';
            ELSE
                v_debit_is_wallet := p_kinds[i] = 'redemption';
                IF p_kinds[i] = 'welcome_bonus' THEN
                    c_other[i] := v_pool;
                END IF;
                c_debit[i] := CASE WHEN v_debit_is_wallet THEN w_id[w] ELSE c_other[i] END;
                c_credit[i] := CASE WHEN v_debit_is_wallet THEN c_other[i] ELSE w_id[w] END;
            END IF;
            IF v_debit_is_wallet AND w_balance[w] < o_points[i] THEN
                o_outcome[i] := 'insufficient_points';
            ELSE
                w_balance[w] := w_balance[w] + CASE WHEN v_debit_is_wallet THEN -o_points[i] ELSE o_points[i] END;
                w_dirty[w] := true;
                c_new_op[i] := nextval('operations_id_seq');
                o_op[i] := c_new_op[i];
                IF p_kinds[i] = 'welcome_bonus' THEN
                    w_welcomed[w] := true;
                ELSIF p_kinds[i] = 'reversal' THEN
                    v_reversing := v_reversing || p_reverses[i];
                END IF;
            END IF;
        END IF;
        -- The client's wallet as it stands now, for the reply the user sees; none when there is no such client.
        IF o_outcome[i] IN ('client_not_found', 'operation_not_found') THEN
            o_balance[i] := NULL;
        ELSE
            o_balance[i] := COALESCE(w_balance[w], 0);
        END IF;
    END LOOP;
    -- Repeats of a key first seen in this batch replay its outcome (or are refused if their parameters differ).
    FOR i IN 1 .. n LOOP
        IF NOT c_fresh[i] AND o_outcome[i] IS NULL THEN
            j := array_position(p_keys, p_keys[i]);
            IF p_fingerprints[i] = p_fingerprints[j] THEN
                o_outcome[i] := o_outcome[j];
                o_op[i] := o_op[j];
                o_points[i] := o_points[j];
                o_balance[i] := o_balance[j];
                o_replayed[i] := true;
            ELSE
                o_outcome[i] := 'key_reused';
                o_points[i] := NULL;
            END IF;
        END IF;
    END LOOP;

    -- 7. Write the operations (each with its transfer, its key and fingerprint, and the wallet's balance after it),
    --    the wallets (locked since step 4) and the refusals in one statement.
    WITH new_operations AS (
        INSERT INTO operations (id, idempotency_key, fingerprint, kind, client_id, partner_id, points, receipt_kopecks,
                                cashback_bp, reverses_operation_id, reason, actor_id, debit_account_id,
                                credit_account_id, balance_after)
            SELECT u.op, u.key, u.fingerprint, u.kind, u.client, u.partner, u.points, u.receipt, u.bp, u.reverses,
                   u.reason, u.actor, u.debit, u.credit, u.balance
              FROM unnest(c_new_op, p_keys, p_fingerprints, p_kinds, c_client, c_partner, o_points, p_receipts, p_bps,
                          p_reverses, p_reasons, p_actors, c_debit, c_credit, o_balance)
                   AS u(op, key, fingerprint, kind, client, partner, points, receipt, bp, reverses, reason, actor,
                        debit, credit, balance)
             WHERE u.op IS NOT NULL
    ), wallets AS (
        UPDATE accounts a SET balance = u.balance
          FROM unnest(w_id, w_balance, w_dirty) AS u(id, balance, dirty)
         WHERE u.dirty AND a.id = u.id
    )
    INSERT INTO ledger_refusals (key, fingerprint, outcome, points, balance)
        SELECT u.key, u.fingerprint, u.outcome, u.points, u.balance
          FROM unnest(p_keys, p_fingerprints, o_outcome, c_new_op, o_points, o_balance, c_fresh)
               AS u(key, fingerprint, outcome, op, points, balance, fresh)
         WHERE u.fresh AND u.op IS NULL;
    -- 8. Last, the shared side of every transfer (partner accounts, the bonus pool), summed per account. These rows
    --    are in nearly every transaction, so they are locked only from here to the commit: a concurrent ledger
    --    transaction does all of its work above in parallel and waits, if at all, for this transaction's commit.
    --    The nested loop over the sorted deltas (the join methods this function allows) updates, and so locks, in
    --    account id order after the wallets, the one order every ledger transaction follows. Were a plan ever to
    --    break that order, Postgres would detect the deadlock and the ledger actor would run the loser again.
    UPDATE accounts a SET balance = a.balance + s.delta
      FROM (SELECT u.other, SUM(CASE WHEN u.debit = u.other THEN -u.points ELSE u.points END)::bigint AS delta
              FROM unnest(c_new_op, c_other, c_debit, o_points) AS u(op, other, debit, points)
             WHERE u.op IS NOT NULL
             GROUP BY u.other
             ORDER BY u.other) AS s
     WHERE a.id = s.other;

    RETURN QUERY SELECT u.outcome, u.op, u.points, u.balance, u.replayed
                   FROM unnest(o_outcome, o_op, o_points, o_balance, o_replayed)
                        AS u(outcome, op, points, balance, replayed);
END $$;
