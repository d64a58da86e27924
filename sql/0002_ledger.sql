-- The ledger: double-entry accounts, an append-only journal of transfers, and idempotency keys.
--
-- Only the ledger actor calls ledger_apply(); nothing else writes these tables. Correctness across processes rests
-- here, not on the actor: conditional updates, CHECK constraints and UNIQUE indexes decide, so two replicas hammering
-- the same wallet cannot double-spend.
--
-- Sign convention: an entry moves `points` (> 0) from its debit account to its credit account. An account's balance
-- is credits minus debits, so every entry keeps the sum of all balances at zero. Partner "issued" accounts and the
-- bonus pool go negative (what the network owes); client wallets never do (CHECK).

CREATE TABLE accounts (
    id          bigserial PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('client_wallet', 'partner_issued', 'partner_redeemed', 'bonus_pool')),
    client_id   bigint      REFERENCES clients (id),
    partner_id  bigint      REFERENCES partners (id),
    balance     bigint      NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_wallet_not_negative CHECK (kind <> 'client_wallet' OR balance >= 0),
    CHECK ((kind = 'client_wallet') = (client_id IS NOT NULL)),
    CHECK ((kind IN ('partner_issued', 'partner_redeemed')) = (partner_id IS NOT NULL))
) WITH (fillfactor = 50);
CREATE UNIQUE INDEX accounts_client_wallet_uq ON accounts (client_id) WHERE kind = 'client_wallet';
CREATE UNIQUE INDEX accounts_partner_uq ON accounts (partner_id, kind) WHERE partner_id IS NOT NULL;
CREATE UNIQUE INDEX accounts_bonus_pool_uq ON accounts (kind) WHERE kind = 'bonus_pool';
INSERT INTO accounts (kind) VALUES ('bonus_pool');

-- One row per command ever submitted, written with its outcome in the transaction that decided it. A concurrent
-- command with the same key waits on an advisory lock for that transaction and then replays the recorded result;
-- `fingerprint` catches a key reused with other parameters. Keys and operations point at each other without foreign
-- keys (each would cost a lookup and a row lock per command on the hottest path); `loyalty check-ledger` verifies
-- both directions instead (applied_keys_have_operation, operations_have_applied_key).
CREATE TABLE idempotency_keys (
    key          text        PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 200),
    fingerprint  text        NOT NULL CHECK (char_length(fingerprint) <= 500),
    outcome      text        NOT NULL,
    operation_id bigint,
    points       bigint,
    balance      bigint,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE operations (
    id                    bigserial PRIMARY KEY,
    idempotency_key       text        NOT NULL UNIQUE,
    kind                  text        NOT NULL CHECK (kind IN ('accrual', 'redemption', 'welcome_bonus', 'reversal')),
    client_id             bigint      NOT NULL REFERENCES clients (id),
    -- No foreign key to partners, deliberately: a foreign key check takes a share lock on the parent row, and every
    -- accrual at a partner would lock that same row from every concurrent transaction (MultiXacts, and a 300 ms p99
    -- tail in the benchmark). ledger_apply() reads the partner in the same transaction, partners are never deleted
    -- (trigger below), and check-ledger's `references_resolve` counts any dangling id.
    partner_id            bigint,
    points                bigint      NOT NULL CHECK (points > 0),
    receipt_kopecks       bigint      CHECK (receipt_kopecks > 0),
    cashback_bp           integer     CHECK (cashback_bp BETWEEN 1 AND 10000),
    reverses_operation_id bigint      REFERENCES operations (id),
    reason                text        CHECK (char_length(reason) <= 1000),
    -- Who asked: the admin's Telegram id for a reversal.
    actor_id              bigint,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'reversal') = (reverses_operation_id IS NOT NULL)),
    CHECK (kind <> 'accrual' OR (partner_id IS NOT NULL AND receipt_kopecks IS NOT NULL AND cashback_bp IS NOT NULL)),
    CHECK (kind <> 'redemption' OR partner_id IS NOT NULL)
);
CREATE UNIQUE INDEX operations_one_welcome_uq ON operations (client_id) WHERE kind = 'welcome_bonus';
CREATE INDEX operations_client_idx ON operations (client_id, created_at DESC);
CREATE INDEX operations_partner_idx ON operations (partner_id, created_at DESC);
CREATE UNIQUE INDEX operations_reverses_uq ON operations (reverses_operation_id) WHERE reverses_operation_id IS NOT NULL;
-- Append-only and time-ordered: a BRIN index serves the date-range statistics at a fraction of a btree's write cost.
CREATE INDEX operations_created_brin ON operations USING brin (created_at);

CREATE TABLE journal_entries (
    id                bigserial PRIMARY KEY,
    operation_id      bigint      NOT NULL REFERENCES operations (id),
    -- No foreign keys to accounts, for the reason given at operations.partner_id: partner accounts and the bonus pool
    -- are in nearly every transaction. Accounts are never deleted (trigger below); check-ledger verifies.
    debit_account_id  bigint      NOT NULL,
    credit_account_id bigint      NOT NULL,
    points            bigint      NOT NULL CHECK (points > 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (debit_account_id <> credit_account_id)
);
CREATE INDEX journal_entries_operation_idx ON journal_entries (operation_id);

-- One rating per operation, and the partner comes from the operation, not from process memory (prototype D9).
CREATE TABLE nps_ratings (
    id           bigserial PRIMARY KEY,
    operation_id bigint      NOT NULL UNIQUE REFERENCES operations (id),
    client_id    bigint      NOT NULL REFERENCES clients (id),
    partner_id   bigint      NOT NULL REFERENCES partners (id),
    rating       smallint    NOT NULL CHECK (rating BETWEEN 0 AND 10),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX nps_ratings_partner_idx ON nps_ratings (partner_id, created_at);

ALTER TABLE redemption_requests
    ADD COLUMN operation_id bigint REFERENCES operations (id);

-- The journal and the operations are append-only: a correction is a reversal, never an edit.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger table % is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER operations_append_only BEFORE UPDATE OR DELETE ON operations
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER operations_no_truncate BEFORE TRUNCATE ON operations
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- What the ledger points at without foreign keys is never deleted.
CREATE FUNCTION ledger_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are referenced by the ledger and are never deleted', TG_TABLE_NAME;
END $$;
CREATE TRIGGER accounts_never_deleted BEFORE DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_keep_referenced();
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_keep_referenced();
CREATE TRIGGER partners_never_deleted BEFORE DELETE ON partners
    FOR EACH ROW EXECUTE FUNCTION ledger_keep_referenced();
CREATE TRIGGER partners_no_truncate BEFORE TRUNCATE ON partners
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_keep_referenced();

-- The account of a kind for a client or partner, created on first use.
CREATE FUNCTION ledger_account(p_kind text, p_client bigint, p_partner bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    FOR attempt IN 1..2 LOOP
        IF p_kind = 'client_wallet' THEN
            SELECT a.id INTO v_id FROM accounts a WHERE a.kind = 'client_wallet' AND a.client_id = p_client;
        ELSIF p_kind = 'bonus_pool' THEN
            SELECT a.id INTO v_id FROM accounts a WHERE a.kind = 'bonus_pool';
        ELSE
            SELECT a.id INTO v_id FROM accounts a WHERE a.partner_id = p_partner AND a.kind = p_kind;
        END IF;
        EXIT WHEN v_id IS NOT NULL;
        INSERT INTO accounts (kind, client_id, partner_id) VALUES (p_kind, p_client, p_partner)
            ON CONFLICT DO NOTHING RETURNING id INTO v_id;
        EXIT WHEN v_id IS NOT NULL;
    END LOOP;
    RETURN v_id;
END $$;

-- Applies one ledger command exactly once per idempotency key and returns its outcome. Every refusal is a named
-- outcome decided before anything is written, so a refused command leaves only its key and outcome behind and the
-- other commands of the same group-commit transaction are untouched. (An unexpected error aborts the transaction;
-- the ledger actor then runs that batch one command per transaction, so it still fails only the culprit.)
--
-- Outcomes: applied, insufficient_points, client_not_found, partner_not_found, partner_not_active,
-- welcome_already_granted, operation_not_found, already_reversed, not_reversible, key_reused. (`rejected` is the
-- actor's word for a command that failed alone with an unexpected error; it is never recorded under the key.)
CREATE FUNCTION ledger_apply(
    p_key text, p_fingerprint text, p_kind text, p_client bigint, p_partner bigint, p_points bigint,
    p_receipt bigint, p_bp integer, p_reverses bigint, p_reason text, p_actor bigint)
RETURNS TABLE (r_outcome text, r_operation_id bigint, r_points bigint, r_balance bigint, r_replayed boolean,
               r_settle_account bigint, r_settle_delta bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_key     idempotency_keys%ROWTYPE;
    v_status  text;
    v_client  bigint := p_client;
    v_wallet  bigint;
    v_other   bigint;
    v_debit   bigint;
    v_credit  bigint;
    v_op      bigint;
    v_orig    operations%ROWTYPE;
    v_entry   journal_entries%ROWTYPE;
    -- Every transfer has exactly one client-wallet side; this says which.
    v_wallet_is_debit boolean;
BEGIN
    -- Serializes commands with the same key across transactions and processes; the loser waits for the winner's
    -- commit and then finds its row below.
    PERFORM pg_advisory_xact_lock(hashtextextended(p_key, 0));
    SELECT * INTO v_key FROM idempotency_keys k WHERE k.key = p_key;
    IF FOUND THEN
        IF v_key.fingerprint <> p_fingerprint THEN
            RETURN QUERY SELECT 'key_reused'::text, NULL::bigint, NULL::bigint, NULL::bigint, false, NULL::bigint, NULL::bigint;
        ELSE
            RETURN QUERY SELECT v_key.outcome, v_key.operation_id, v_key.points, v_key.balance, true, NULL::bigint, NULL::bigint;
        END IF;
        RETURN;
    END IF;

    r_outcome := 'applied';
    r_points := p_points;
    r_replayed := false;
    IF p_kind = 'reversal' THEN
        SELECT * INTO v_orig FROM operations o WHERE o.id = p_reverses;
        IF NOT FOUND THEN
            r_outcome := 'operation_not_found';
        ELSIF v_orig.kind = 'reversal' THEN
            r_outcome := 'not_reversible';
        ELSIF EXISTS (SELECT 1 FROM operations o WHERE o.reverses_operation_id = p_reverses) THEN
            r_outcome := 'already_reversed';
        ELSE
            v_client := v_orig.client_id;
            r_points := v_orig.points;
            SELECT * INTO v_entry FROM journal_entries j WHERE j.operation_id = p_reverses ORDER BY j.id LIMIT 1;
            -- The compensating entry runs the original backwards.
            v_debit := v_entry.credit_account_id;
            v_credit := v_entry.debit_account_id;
            v_wallet_is_debit := EXISTS (SELECT 1 FROM accounts a WHERE a.id = v_debit AND a.kind = 'client_wallet');
        END IF;
    ELSE
        PERFORM 1 FROM clients c WHERE c.id = p_client;
        IF NOT FOUND THEN
            r_outcome := 'client_not_found';
        ELSIF p_partner IS NOT NULL THEN
            SELECT p.status INTO v_status FROM partners p WHERE p.id = p_partner;
            IF NOT FOUND THEN
                r_outcome := 'partner_not_found';
            ELSIF v_status <> 'approved' THEN
                r_outcome := 'partner_not_active';
            END IF;
        ELSIF p_kind <> 'welcome_bonus' THEN
            r_outcome := 'partner_not_found';
        END IF;
        IF r_outcome = 'applied' AND p_kind = 'welcome_bonus'
           AND EXISTS (SELECT 1 FROM operations o WHERE o.client_id = p_client AND o.kind = 'welcome_bonus') THEN
            r_outcome := 'welcome_already_granted';
        END IF;
        IF r_outcome = 'applied' THEN
            v_wallet := ledger_account('client_wallet', p_client, NULL);
            v_wallet_is_debit := p_kind = 'redemption';
            IF p_kind = 'accrual' THEN
                v_debit := ledger_account('partner_issued', NULL, p_partner);
                v_credit := v_wallet;
            ELSIF p_kind = 'redemption' THEN
                v_debit := v_wallet;
                v_credit := ledger_account('partner_redeemed', NULL, p_partner);
            ELSIF p_kind = 'welcome_bonus' THEN
                v_debit := ledger_account('bonus_pool', NULL, NULL);
                v_credit := v_wallet;
            ELSE
                RAISE EXCEPTION 'unknown ledger command %', p_kind USING ERRCODE = 'check_violation';
            END IF;
        END IF;
    END IF;

    IF r_outcome = 'applied' THEN
        -- Only the wallet side moves here; the other side (a partner account or the bonus pool, rows every batch
        -- touches) is returned as r_settle_* and moved once per transaction by ledger_settle(), just before commit.
        -- A wallet is debited only when it holds enough; otherwise nothing has been written yet and the command is
        -- refused without a subtransaction.
        IF v_wallet_is_debit THEN
            UPDATE accounts a SET balance = a.balance - r_points WHERE a.id = v_debit AND a.balance >= r_points
            RETURNING a.balance INTO r_balance;
            r_settle_account := v_credit;
            r_settle_delta := r_points;
        ELSE
            UPDATE accounts a SET balance = a.balance + r_points WHERE a.id = v_credit
            RETURNING a.balance INTO r_balance;
            r_settle_account := v_debit;
            r_settle_delta := -r_points;
        END IF;
        IF NOT FOUND THEN
            r_outcome := 'insufficient_points';
            r_settle_account := NULL;
            r_settle_delta := NULL;
        ELSE
            INSERT INTO operations (idempotency_key, kind, client_id, partner_id, points, receipt_kopecks,
                                    cashback_bp, reverses_operation_id, reason, actor_id)
                VALUES (p_key, p_kind, v_client, COALESCE(p_partner, v_orig.partner_id), r_points, p_receipt,
                        p_bp, p_reverses, p_reason, p_actor)
                RETURNING id INTO v_op;
            INSERT INTO journal_entries (operation_id, debit_account_id, credit_account_id, points)
                VALUES (v_op, v_debit, v_credit, r_points);
            r_operation_id := v_op;
        END IF;
    END IF;

    -- For a refusal, the client's wallet as it stands, for the reply the user sees.
    IF r_outcome IN ('client_not_found', 'operation_not_found') THEN
        r_balance := NULL;
    ELSIF r_outcome <> 'applied' THEN
        SELECT a.balance INTO r_balance FROM accounts a WHERE a.kind = 'client_wallet' AND a.client_id = v_client;
        r_balance := COALESCE(r_balance, 0);
    END IF;

    INSERT INTO idempotency_keys (key, fingerprint, outcome, operation_id, points, balance)
        VALUES (p_key, p_fingerprint, r_outcome, r_operation_id, r_points, r_balance);
    RETURN NEXT;
END $$;

-- Locks the client wallets a batch of commands will touch, in id order, in one statement. Every ledger transaction
-- calls this first and locks other accounts only in ledger_settle() at its very end, also in id order; so all ledger
-- transactions acquire row locks in one global order and none can deadlock, whichever process runs them. The arrays
-- are parallel: one element per command (kind, client, partner, operation to reverse).
CREATE FUNCTION ledger_lock(p_kinds text[], p_clients bigint[], p_partners bigint[], p_reverses bigint[])
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_ids    bigint[] := '{}';
    v_locked integer;
BEGIN
    FOR i IN 1 .. COALESCE(array_length(p_kinds, 1), 0) LOOP
        IF p_kinds[i] = 'reversal' THEN
            v_ids := v_ids || ARRAY(
                SELECT a.id FROM journal_entries j JOIN accounts a ON a.id IN (j.debit_account_id, j.credit_account_id)
                 WHERE j.operation_id = p_reverses[i] AND a.kind = 'client_wallet');
        ELSIF EXISTS (SELECT 1 FROM clients c WHERE c.id = p_clients[i]) THEN
            v_ids := v_ids || ledger_account('client_wallet', p_clients[i], NULL);
        END IF;
    END LOOP;
    PERFORM 1 FROM accounts a WHERE a.id = ANY (v_ids) ORDER BY a.id FOR UPDATE;
    GET DIAGNOSTICS v_locked = ROW_COUNT;
    RETURN v_locked;
END $$;

-- Moves the non-wallet side of every transfer of the transaction, summed per account, in account id order.
-- Called once, last, by the ledger actor with the r_settle_* pairs its ledger_apply() calls returned.
CREATE FUNCTION ledger_settle(p_accounts bigint[], p_deltas bigint[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_row     record;
    v_settled integer := 0;
BEGIN
    FOR v_row IN
        SELECT u.account, SUM(u.delta)::bigint AS total
          FROM unnest(p_accounts, p_deltas) AS u(account, delta)
         GROUP BY u.account ORDER BY u.account
    LOOP
        UPDATE accounts a SET balance = a.balance + v_row.total WHERE a.id = v_row.account;
        v_settled := v_settled + 1;
    END LOOP;
    RETURN v_settled;
END $$;
