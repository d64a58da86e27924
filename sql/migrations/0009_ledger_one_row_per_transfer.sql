-- One row per transfer (issue 17, ledger headroom): an operation carries its own debit and credit, and an applied
-- command's key is its operation's key. An accrual or a redemption now writes one ledger row (the operation) and two
-- balances, where it wrote three rows (operation, journal entry, key) and two balances.
--
-- Every operation the ledger makes moves one amount from one account to another (an accrual: partner issued ->
-- wallet; a redemption: wallet -> partner redeemed; a welcome bonus: bonus pool -> wallet; a reversal: the original
-- backwards), so its single journal entry is the operation itself, as in TigerBeetle's transfers. `journal_entries`
-- stays as a view of the operations for the readers (statements, the Mini App, check-ledger).
--
-- Keys: an applied command is found by its operation's unique `idempotency_key`, with the `fingerprint` of its
-- parameters and the wallet's `balance_after` it answered with, so a repeat replays it. A refused command (nothing
-- moved) leaves only its key and outcome, in `ledger_refusals` (the former idempotency_keys, less the applied rows).
-- Both ledger paths take the key's advisory lock before they look, so a key is decided once: check-ledger's
-- `keys_decided_once` counts any key found both refused and applied.
--
-- A contracting change: the previous release's ledger statements read and write the tables this renames and drops,
-- so they fail against it. Upgrade to it with the previous release's replicas stopped (README, Runbook, Upgrade).
ALTER TABLE operations
    ADD COLUMN debit_account_id  bigint,
    ADD COLUMN credit_account_id bigint,
    ADD COLUMN fingerprint       text,
    ADD COLUMN balance_after     bigint;

ALTER TABLE operations DISABLE TRIGGER operations_append_only;
UPDATE operations o
   SET debit_account_id = j.debit_account_id, credit_account_id = j.credit_account_id
  FROM journal_entries j
 WHERE j.operation_id = o.id;
UPDATE operations o
   SET fingerprint = k.fingerprint, balance_after = k.balance
  FROM idempotency_keys k
 WHERE k.key = o.idempotency_key;
ALTER TABLE operations ENABLE TRIGGER operations_append_only;

-- Every operation the ledger wrote had its entry and its key; a row without them fails here rather than being
-- invented.
ALTER TABLE operations
    ALTER COLUMN debit_account_id SET NOT NULL,
    ALTER COLUMN credit_account_id SET NOT NULL,
    ALTER COLUMN fingerprint SET NOT NULL,
    ALTER COLUMN balance_after SET NOT NULL,
    ADD CONSTRAINT operations_transfer_check CHECK (debit_account_id <> credit_account_id),
    ADD CONSTRAINT operations_fingerprint_check CHECK (char_length(fingerprint) <= 500),
    -- What idempotency_keys.key allowed: the key is a record's name now.
    ADD CONSTRAINT operations_idempotency_key_check CHECK (char_length(idempotency_key) BETWEEN 1 AND 200);
-- The key is how a repeat finds its operation now (0007 dropped the index while the key row did that).
CREATE UNIQUE INDEX operations_idempotency_key_uq ON operations (idempotency_key);

ALTER TABLE idempotency_keys RENAME TO ledger_refusals;
ALTER TABLE ledger_refusals RENAME CONSTRAINT idempotency_keys_pkey TO ledger_refusals_pkey;
DELETE FROM ledger_refusals WHERE operation_id IS NOT NULL OR outcome = 'applied';
ALTER TABLE ledger_refusals
    DROP COLUMN operation_id,
    ADD CONSTRAINT ledger_refusals_refused CHECK (outcome <> 'applied');

DROP TABLE journal_entries;
-- The journal: one entry per operation, `points` from the debit account to the credit account (the sign convention
-- of 0002: an account's balance is its credits minus its debits). Read-only in effect: writing through the view
-- writes the operation, which the append-only trigger refuses.
CREATE VIEW journal_entries AS
    SELECT o.id, o.id AS operation_id, o.debit_account_id, o.credit_account_id, o.points, o.created_at
      FROM operations o;
