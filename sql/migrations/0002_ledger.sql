-- The ledger: double-entry accounts, an append-only journal of transfers, and idempotency keys.
--
-- Only the ledger actor calls ledger_apply_batch() (../functions/ledger_apply_batch.sql); nothing else writes these
-- tables. Correctness across processes rests here, not on the actor: conditional updates, CHECK constraints and
-- UNIQUE indexes decide, so two replicas hammering the same wallet cannot double-spend.
--
-- The two trigger functions stay in this file with their triggers, unlike the functions the code calls: they are part
-- of the schema's rules, and a trigger's function must exist when the trigger is created (../functions/ is applied
-- after the migrations).
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
    -- tail in the benchmark). ledger_apply_batch() reads the partner in the same transaction, partners are never
    -- deleted (trigger below), and check-ledger's `references_resolve` counts any dangling id.
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
