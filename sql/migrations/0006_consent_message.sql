-- The client's consent request message (Approve / Decline) of a redemption request, as Telegram numbered it in the
-- client's chat (issue 14, SPEC §2): the outbox records it once the message is sent, and the expiry sweeper edits
-- that very message to "expired" (its buttons gone) instead of leaving them under a dead request. NULL until sent,
-- and for requests without one (a service request: the client's own tap is the consent).
ALTER TABLE redemption_requests ADD COLUMN consent_message_id integer;
