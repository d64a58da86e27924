-- The claim of a partner-enrolled client (issue 14, SPEC §3). A Telegram user registers with /start (a fresh row
-- with the welcome bonus) before sharing their phone; when that phone turns out to be a record a partner enrolled,
-- the enrolled record (balance, history, referral) becomes theirs and the fresh row is retired into it: its Telegram
-- id moves to the enrolled record and `merged_into` names where it went. Ledger rows are append-only, so nothing is
-- moved: the fresh row's welcome bonus is reversed and granted once on the claimed record instead.
ALTER TABLE clients ADD COLUMN merged_into bigint REFERENCES clients (id);
-- A retired row is reachable neither by Telegram nor by phone; `merged_into` says why.
ALTER TABLE clients DROP CONSTRAINT clients_check;
ALTER TABLE clients ADD CONSTRAINT clients_reachable_check
    CHECK (telegram_id IS NOT NULL OR phone IS NOT NULL OR merged_into IS NOT NULL);
ALTER TABLE clients ADD CONSTRAINT clients_merged_retired_check
    CHECK (merged_into IS NULL OR (telegram_id IS NULL AND phone IS NULL AND merged_into <> id));
CREATE INDEX clients_merged_into_idx ON clients (merged_into) WHERE merged_into IS NOT NULL;
