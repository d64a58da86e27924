-- When the client bot's reply was refused with 403 "bot was blocked by the user" (or "user is deactivated"): the
-- client no longer reads the bot. Set by the outbox; NULL while the bot can write to them.
ALTER TABLE clients ADD COLUMN blocked_bot_at timestamptz;
