-- The partner back office (issue 13): what makes its writes idempotent when an update is processed again.
--
-- A dialogue's update may run twice (a crash between the database write and the Redis commit re-runs it). Each
-- write that creates a row carries the id of the draft minted when its dialogue started, stored with the row; the
-- second run finds the row it wrote the first time instead of writing another, and notifies then (the first run's
-- replies were never committed).
ALTER TABLE partner_application_events ADD COLUMN draft text UNIQUE CHECK (draft ~ '^[0-9a-f]{32}$');
ALTER TABLE services ADD COLUMN draft text UNIQUE CHECK (draft ~ '^[0-9a-f]{32}$');
ALTER TABLE promotions ADD COLUMN draft text UNIQUE CHECK (draft ~ '^[0-9a-f]{32}$');
