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
);
CREATE UNIQUE INDEX accounts_client_wallet_uq ON accounts (client_id) WHERE kind = 'client_wallet';
CREATE UNIQUE INDEX accounts_partner_uq ON accounts (partner_id, kind) WHERE partner_id IS NOT NULL;
CREATE UNIQUE INDEX accounts_bonus_pool_uq ON accounts (kind) WHERE kind = 'bonus_pool';
INSERT INTO accounts (kind) VALUES ('bonus_pool');

-- One row per command ever submitted. Inserted first, so a concurrent command with the same key waits for the owner
-- and then replays its recorded result; `fingerprint` catches a key reused with other parameters.
CREATE TABLE idempotency_keys (
    key          text        PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 200),
    fingerprint  text        NOT NULL CHECK (char_length(fingerprint) <= 500),
    outcome      text,
    operation_id bigint,
    points       bigint,
    balance      bigint,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE operations (
    id                    bigserial PRIMARY KEY,
    idempotency_key       text        NOT NULL UNIQUE REFERENCES idempotency_keys (key),
    kind                  text        NOT NULL CHECK (kind IN ('accrual', 'redemption', 'welcome_bonus', 'reversal')),
    client_id             bigint      NOT NULL REFERENCES clients (id),
    partner_id            bigint      REFERENCES partners (id),
    points                bigint      NOT NULL CHECK (points > 0),
    receipt_kopecks       bigint      CHECK (receipt_kopecks > 0),
    cashback_bp           integer     CHECK (cashback_bp BETWEEN 1 AND 10000),
    reverses_operation_id bigint      UNIQUE REFERENCES operations (id),
    reason                text        CHECK (char_length(reason) <= 1000),
    -- Who asked: the admin's Telegram id for a reversal.
    actor_id              bigint,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'reversal') = (reverses_operation_id IS NOT NULL)),
    CHECK (kind <> 'accrual' OR (partner_id IS NOT NULL AND receipt_kopecks IS NOT NULL AND cashback_bp IS NOT NULL)),
    CHECK (kind <> 'redemption' OR partner_id IS NOT NULL)
);
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_operation_fk FOREIGN KEY (operation_id) REFERENCES operations (id);
CREATE UNIQUE INDEX operations_one_welcome_uq ON operations (client_id) WHERE kind = 'welcome_bonus';
CREATE INDEX operations_client_idx ON operations (client_id, created_at DESC);
CREATE INDEX operations_partner_idx ON operations (partner_id, created_at DESC);
CREATE INDEX operations_created_idx ON operations (created_at);

CREATE TABLE journal_entries (
    id                bigserial PRIMARY KEY,
    operation_id      bigint      NOT NULL REFERENCES operations (id),
    debit_account_id  bigint      NOT NULL REFERENCES accounts (id),
    credit_account_id bigint      NOT NULL REFERENCES accounts (id),
    points            bigint      NOT NULL CHECK (points > 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (debit_account_id <> credit_account_id)
);
CREATE INDEX journal_entries_operation_idx ON journal_entries (operation_id);
CREATE INDEX journal_entries_debit_idx ON journal_entries (debit_account_id);
CREATE INDEX journal_entries_credit_idx ON journal_entries (credit_account_id);

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

-- Moves points between two accounts and journals it. A client wallet is debited only when it holds enough: otherwise
-- SQLSTATE LE001, which ledger_apply turns into `insufficient_points` after rolling the command back.
CREATE FUNCTION ledger_transfer(p_op bigint, p_debit bigint, p_credit bigint, p_points bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts a SET balance = a.balance - p_points
     WHERE a.id = p_debit AND (a.kind <> 'client_wallet' OR a.balance >= p_points);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insufficient points' USING ERRCODE = 'LE001';
    END IF;
    UPDATE accounts a SET balance = a.balance + p_points WHERE a.id = p_credit;
    INSERT INTO journal_entries (operation_id, debit_account_id, credit_account_id, points)
        VALUES (p_op, p_debit, p_credit, p_points);
END $$;

-- Applies one ledger command exactly once per idempotency key and returns its outcome. Every refusal is a named
-- outcome; the inner block is a subtransaction, so a refused command leaves no trace but its key and outcome, and the
-- other commands of the same group-commit transaction are untouched.
--
-- Outcomes: applied, insufficient_points, client_not_found, partner_not_found, partner_not_active,
-- welcome_already_granted, operation_not_found, already_reversed, not_reversible, rejected, key_reused.
CREATE FUNCTION ledger_apply(
    p_key text, p_fingerprint text, p_kind text, p_client bigint, p_partner bigint, p_points bigint,
    p_receipt bigint, p_bp integer, p_reverses bigint, p_reason text, p_actor bigint)
RETURNS TABLE (r_outcome text, r_operation_id bigint, r_points bigint, r_balance bigint, r_replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_key     idempotency_keys%ROWTYPE;
    v_status  text;
    v_wallet  bigint;
    v_other   bigint;
    v_op      bigint;
    v_orig    operations%ROWTYPE;
    v_entry   record;
    v_constraint text;
BEGIN
    INSERT INTO idempotency_keys (key, fingerprint) VALUES (p_key, p_fingerprint) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        SELECT * INTO v_key FROM idempotency_keys k WHERE k.key = p_key;
        IF v_key.fingerprint <> p_fingerprint THEN
            RETURN QUERY SELECT 'key_reused'::text, NULL::bigint, NULL::bigint, NULL::bigint, false;
            RETURN;
        END IF;
        RETURN QUERY SELECT v_key.outcome, v_key.operation_id, v_key.points, v_key.balance, true;
        RETURN;
    END IF;

    r_outcome := 'applied';
    r_points := p_points;
    r_replayed := false;
    BEGIN
        IF p_kind = 'reversal' THEN
            SELECT * INTO v_orig FROM operations o WHERE o.id = p_reverses;
            IF NOT FOUND THEN
                r_outcome := 'operation_not_found';
            ELSIF v_orig.kind = 'reversal' THEN
                r_outcome := 'not_reversible';
            ELSIF EXISTS (SELECT 1 FROM operations o WHERE o.reverses_operation_id = p_reverses) THEN
                r_outcome := 'already_reversed';
            ELSE
                r_points := v_orig.points;
                v_wallet := ledger_account('client_wallet', v_orig.client_id, NULL);
                INSERT INTO operations (idempotency_key, kind, client_id, partner_id, points, reverses_operation_id,
                                        reason, actor_id)
                    VALUES (p_key, 'reversal', v_orig.client_id, v_orig.partner_id, v_orig.points, p_reverses,
                            p_reason, p_actor)
                    RETURNING id INTO v_op;
                FOR v_entry IN SELECT * FROM journal_entries j WHERE j.operation_id = p_reverses ORDER BY j.id LOOP
                    PERFORM ledger_transfer(v_op, v_entry.credit_account_id, v_entry.debit_account_id, v_entry.points);
                END LOOP;
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
                INSERT INTO operations (idempotency_key, kind, client_id, partner_id, points, receipt_kopecks, cashback_bp)
                    VALUES (p_key, p_kind, p_client, p_partner, p_points, p_receipt, p_bp)
                    RETURNING id INTO v_op;
                IF p_kind = 'accrual' THEN
                    v_other := ledger_account('partner_issued', NULL, p_partner);
                    PERFORM ledger_transfer(v_op, v_other, v_wallet, p_points);
                ELSIF p_kind = 'redemption' THEN
                    v_other := ledger_account('partner_redeemed', NULL, p_partner);
                    PERFORM ledger_transfer(v_op, v_wallet, v_other, p_points);
                ELSIF p_kind = 'welcome_bonus' THEN
                    v_other := ledger_account('bonus_pool', NULL, NULL);
                    PERFORM ledger_transfer(v_op, v_other, v_wallet, p_points);
                ELSE
                    RAISE EXCEPTION 'unknown ledger command %', p_kind USING ERRCODE = 'check_violation';
                END IF;
            END IF;
        END IF;
        IF r_outcome = 'applied' THEN
            r_operation_id := v_op;
        END IF;
    EXCEPTION
        WHEN SQLSTATE 'LE001' THEN
            r_outcome := 'insufficient_points';
            r_operation_id := NULL;
        WHEN unique_violation THEN
            GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
            r_outcome := CASE WHEN v_constraint = 'operations_one_welcome_uq' THEN 'welcome_already_granted'
                              WHEN v_constraint = 'operations_reverses_operation_id_key' THEN 'already_reversed'
                              ELSE 'rejected' END;
            r_operation_id := NULL;
        WHEN check_violation OR foreign_key_violation OR not_null_violation OR numeric_value_out_of_range THEN
            r_outcome := 'rejected';
            r_operation_id := NULL;
    END;

    -- The wallet balance after the command (or as it stands, for a refusal), for the reply the user sees.
    SELECT a.balance INTO r_balance FROM accounts a
     WHERE a.kind = 'client_wallet'
       AND a.client_id = COALESCE(v_orig.client_id, p_client);
    IF r_outcome IN ('client_not_found', 'operation_not_found') THEN
        r_balance := NULL;
    ELSE
        r_balance := COALESCE(r_balance, 0);
    END IF;

    UPDATE idempotency_keys k
       SET outcome = r_outcome, operation_id = r_operation_id, points = r_points, balance = r_balance
     WHERE k.key = p_key;
    RETURN NEXT;
END $$;

-- Locks every account a batch of commands will touch, in id order, in one statement. Every ledger transaction calls
-- this first, so all of them acquire row locks in the same global order and no two can deadlock, whichever process
-- runs them. The arrays are parallel: one element per command (kind, client, partner, operation to reverse).
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
                SELECT unnest(ARRAY[j.debit_account_id, j.credit_account_id])
                  FROM journal_entries j WHERE j.operation_id = p_reverses[i]);
            CONTINUE;
        END IF;
        IF EXISTS (SELECT 1 FROM clients c WHERE c.id = p_clients[i]) THEN
            v_ids := v_ids || ledger_account('client_wallet', p_clients[i], NULL);
        END IF;
        IF p_kinds[i] = 'welcome_bonus' THEN
            v_ids := v_ids || ledger_account('bonus_pool', NULL, NULL);
        ELSIF EXISTS (SELECT 1 FROM partners p WHERE p.id = p_partners[i]) THEN
            v_ids := v_ids || ledger_account(
                CASE p_kinds[i] WHEN 'accrual' THEN 'partner_issued' ELSE 'partner_redeemed' END, NULL, p_partners[i]);
        END IF;
    END LOOP;
    PERFORM 1 FROM accounts a WHERE a.id = ANY (v_ids) ORDER BY a.id FOR UPDATE;
    GET DIAGNOSTICS v_locked = ROW_COUNT;
    RETURN v_locked;
END $$;
