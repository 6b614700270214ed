-- Whom a queued message may reach, and whose personal data it carries.
--
-- audience 'staff': staff mail (cards, a case's thread, files, albums, nudges, digests,
-- notices); the sender checks it against the staff list when it goes, so nobody removed
-- from staff in between gets it. NULL: a message to the person in chat_id themself.
ALTER TABLE outbox ADD COLUMN audience TEXT CHECK (audience IN ('staff'));
-- The person whose words or data the row carries (a requester's follow-up to staff, the
-- notice that they accepted an invite): a withdrawal of consent erases such rows too.
ALTER TABLE outbox ADD COLUMN subject_id INTEGER;
CREATE INDEX outbox_subject ON outbox(subject_id) WHERE subject_id IS NOT NULL;

-- Rows queued by an earlier version: staff mail by what it was (its idempotency key names
-- it, or it is in a request's staff thread, or it is a staff card or digest).
UPDATE outbox SET audience = 'staff'
WHERE template IN ('initiative_card', 'request_card')
   OR idempotency_key LIKE 'initiative:%:photos:%'
   OR idempotency_key LIKE 'initiative:%:card:%'
   OR idempotency_key LIKE 'request:%:card:%'
   OR idempotency_key LIKE 'request:%:nudge:%'
   OR idempotency_key LIKE 'digest:%'
   OR idempotency_key LIKE 'digest-chart:%'
   OR idempotency_key LIKE 'invite-accepted:%'
   OR idempotency_key LIKE 'role-accepted:%'
   OR idempotency_key LIKE 'staff-welcome:%'
   OR id IN (SELECT outbox_id FROM request_links WHERE side = 'staff' AND outbox_id IS NOT NULL);

-- ... and whose data they carry: what a requester wrote into a case's staff thread, and
-- the notices naming who opened an invite (the id ends the key; tokens hold no colon).
UPDATE outbox SET subject_id = (
    SELECT r.requester_id FROM request_links l JOIN support_requests r ON r.id = l.request_id
    WHERE l.outbox_id = outbox.id AND l.side = 'staff'
)
WHERE (template IS NULL OR template <> 'request_card')
  AND id IN (SELECT outbox_id FROM request_links WHERE side = 'staff' AND outbox_id IS NOT NULL);
UPDATE outbox SET subject_id = CAST(
    substr(idempotency_key, length(rtrim(idempotency_key, '0123456789')) + 1) AS INTEGER
)
WHERE idempotency_key LIKE 'invite-accepted:%' OR idempotency_key LIKE 'role-accepted:%';
