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

-- What the digest, the report and exports look up by time.
CREATE INDEX initiatives_created ON initiatives(created_at);
CREATE INDEX support_requests_created ON support_requests(created_at);
CREATE INDEX outbox_failed ON outbox(status, created_at);
CREATE INDEX request_log_answered ON request_log(to_status, request_id, at);
