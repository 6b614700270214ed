-- A form-switch question («You have not sent your initiative yet...») kept the whole update
-- the person had sent or pressed meanwhile, so a pressed staff card's text, with a
-- requester's name, sat in the staff member's form data, out of reach of the requester's
-- erasure. The choice is now kept as what replays it only (handlers/forms.py,
-- pending_choice); choices kept the old way are dropped (their question's buttons then say
-- they are out of date, and the form stays).
-- only sqlite: begin
UPDATE fsm SET data = json_remove(data, '$._pending')
WHERE json_valid(data) AND json_type(data, '$._pending.event') IS NOT NULL;
-- only sqlite: end

-- Staff mail about a case addressed to one staff member (a due-date nudge to whoever took
-- the request): when its recipient is no longer staff as it goes, the sender skips it and
-- queues it to current staff instead (StaffService.case_recipients), so it is not lost.
ALTER TABLE outbox ADD COLUMN readdress INTEGER NOT NULL DEFAULT 0;
-- Nudges an earlier version queued and has not sent yet.
UPDATE outbox SET readdress = 1
WHERE idempotency_key LIKE 'request:%:nudge:%' AND status IN ('pending', 'sending');
