-- The ledger's two remaining foreign keys on the hot path go (issue 17, ledger headroom), for the reason the schema
-- already gives at operations.partner_id: each is a lookup of the parent row and a row lock (FOR KEY SHARE, written to
-- the parent tuple and the WAL) per written row, on every accrual and redemption.
-- - operations.client_id → clients: clients are never deleted (trigger below, as partners and accounts already are),
--   every path that writes an operation read the client in the same transaction, and check-ledger's
--   `references_resolve` counts any operation naming a client that does not exist.
-- - journal_entries.operation_id → operations: an entry is written in the statement that writes its operation,
--   operations are append-only (never deleted, trigger in 0002), and `references_resolve` counts any entry naming an
--   operation that does not exist.
ALTER TABLE operations DROP CONSTRAINT operations_client_id_fkey;
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_operation_id_fkey;

CREATE TRIGGER clients_never_deleted BEFORE DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION ledger_keep_referenced();
CREATE TRIGGER clients_no_truncate BEFORE TRUNCATE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_keep_referenced();
