-- Digests, the yearly report and exports.

-- A staff member's own digest: daily, weekly (Mondays) or off. No row: the default
-- (daily when there is no staff chat, off when the staff chat gets it).
CREATE TABLE staff_prefs (
    user_id INTEGER PRIMARY KEY,
    digest  TEXT NOT NULL CHECK (digest IN ('daily', 'weekly', 'off'))
);

-- Each digest sent: the window it covered, so the next one starts where it ended.
CREATE TABLE digests (
    chat_id    INTEGER NOT NULL,
    day        TEXT NOT NULL,           -- the local date it is for
    since      TEXT NOT NULL,
    until      TEXT NOT NULL,
    PRIMARY KEY (chat_id, day)
);

-- Days from a request to its first answer (to 0.01 day): how fast support is given, for the
-- report, without reading the status log or parsing dates over a year's requests.
ALTER TABLE support_requests ADD COLUMN answer_days REAL;
-- only sqlite: begin
UPDATE support_requests SET answer_days = ROUND((
    SELECT julianday(MIN(l.at)) FROM request_log l
    WHERE l.request_id = support_requests.id AND l.to_status = 'answered'
) - julianday(created_at), 2);
-- only sqlite: end

-- What the digest, the report and exports look up by time. The yearly counts walk an index
-- already in (direction|kind, status) order, so GROUP BY needs no sort (see bench/reports.py).
CREATE INDEX initiatives_created ON initiatives(created_at);
CREATE INDEX initiatives_year ON initiatives(direction, status, created_at);
CREATE INDEX support_requests_created ON support_requests(created_at);
CREATE INDEX support_requests_year ON support_requests(kind, status, created_at);
CREATE INDEX support_requests_answered ON support_requests(kind, answer_days, created_at);
CREATE INDEX outbox_failed ON outbox(status, created_at);
