-- The unique index on operations.idempotency_key goes (issue 17, ledger headroom): it was the most expensive of the
-- operation row's index entries (a random text key, ~11 % of a lone accrual's time in `loyalty-load ledger`), and
-- nothing looks an operation up by its key. One operation per key still holds by construction: both ledger paths
-- (ledger_apply_batch(), sql/queries/ledger_apply_one.sql) insert an operation only in the statement that inserts its
-- key into idempotency_keys, whose primary key refuses a second; `loyalty check-ledger` counts any duplicate
-- (keys_unique) and any operation whose key does not record it (operations_have_applied_key).
ALTER TABLE operations DROP CONSTRAINT operations_idempotency_key_key;
