-- What the report on a period counts beyond statuses: answers given on time, the median time
-- to answer, people who took part through the bot, requests reopened after an answer,
-- initiatives with no progress; for the period and for the one it is compared with.

-- Whether a request's first answer came after the due date then in force (1), in time (0);
-- NULL while it has none (set together with answer_days, when the first answer is recorded).
-- Earlier rows: from answer_days, kept to the hundredth of a day.
ALTER TABLE support_requests ADD COLUMN answered_late INTEGER;
-- only sqlite: begin
UPDATE support_requests SET answered_late =
    (julianday(created_at) + answer_days > julianday(due_at) + 0.00001)
WHERE answer_days IS NOT NULL;
-- only sqlite: end

-- Requests by kind and status also say how many were answered, and how many on time, from the
-- index alone (the count a median's position needs).
DROP INDEX support_requests_year;
CREATE INDEX support_requests_year ON support_requests(kind, status, created_at, answered_late);
-- The median time to the first answer of all kinds: read in answer-time order up to the middle
-- (a kind's own from support_requests_answered), never a histogram of a year's requests.
CREATE INDEX support_requests_answer_time ON support_requests(answer_days, created_at);
-- Overdue requests of a period by kind, from the index alone.
DROP INDEX support_requests_open;
CREATE INDEX support_requests_open ON support_requests(status, due_at, created_at, kind);

-- People who took part in a period: one index seek per person and source (authors,
-- requesters, supporters, people who signed up for an event).
CREATE INDEX initiatives_people ON initiatives(author_id, created_at);
CREATE INDEX support_requests_people ON support_requests(requester_id, created_at);
CREATE INDEX initiative_supports_people ON initiative_supports(user_id, at);
CREATE INDEX event_signups_people ON event_signups(user_id, signed_at);

-- Initiatives underway with no change for long: read from an index in status order.
CREATE INDEX initiatives_progress ON initiatives(status, created_at, updated_at);

-- Requests reopened after an answer: few, found without reading a period's rows.
CREATE INDEX support_requests_reopened ON support_requests(created_at) WHERE cycle > 0;
