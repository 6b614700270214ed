-- What the yearly report counts beyond statuses: answers given on time, people who took part
-- through the bot, requests reopened after an answer.

-- Whether a request's first answer came after the due date then in force (1), in time (0);
-- NULL while it has none. Set with answer_days, when the first answer is recorded. Earlier
-- rows: from answer_days, kept to the hundredth of a day.
ALTER TABLE support_requests ADD COLUMN answered_late INTEGER;
UPDATE support_requests SET answered_late =
    (julianday(created_at) + answer_days > julianday(due_at) + 0.00001)
WHERE answer_days IS NOT NULL;

-- The answer-time histogram also counts late answers, still from the index alone.
DROP INDEX support_requests_answered;
CREATE INDEX support_requests_answered
    ON support_requests(kind, answer_days, created_at, answered_late);

-- People who took part in a period, walked in person order (a merge, not a sort of a year's
-- rows): authors, requesters, supporters, people who signed up for an event.
CREATE INDEX initiatives_people ON initiatives(author_id, created_at);
CREATE INDEX support_requests_people ON support_requests(requester_id, created_at);
CREATE INDEX initiative_supports_people ON initiative_supports(user_id, at);
CREATE INDEX event_signups_people ON event_signups(user_id, signed_at);

-- Initiatives underway with no change for long: read from an index in status order.
CREATE INDEX initiatives_progress ON initiatives(status, created_at, updated_at);

-- Requests reopened after an answer: few, found without reading a year's rows.
CREATE INDEX support_requests_reopened ON support_requests(created_at) WHERE cycle > 0;
