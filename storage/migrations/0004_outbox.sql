-- Durable notifications: everything the bot sends on its own initiative goes through here.
ALTER TABLE users ADD COLUMN unreachable_at TEXT;   -- blocked the bot / chat gone

CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY,
    audience     TEXT NOT NULL,
    template     TEXT NOT NULL,                      -- msgid, rendered per recipient
    args         TEXT NOT NULL DEFAULT '{}',
    created_by   INTEGER,
    created_at   TEXT NOT NULL,
    cancelled_at TEXT
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    text            TEXT,                            -- rendered HTML, or NULL with a template
    template        TEXT,                            -- msgid, rendered at send time
    args            TEXT,                            -- JSON arguments of the template
    locale          TEXT,                            -- NULL: the recipient's language at send time
    buttons         TEXT,                            -- JSON rows of {"text", "callback_data"|"url"}
    idempotency_key TEXT UNIQUE,
    broadcast_id    INTEGER REFERENCES broadcasts(id),
    not_before      TEXT NOT NULL,
    retry_at        TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    parts_sent      INTEGER NOT NULL DEFAULT 0,      -- a long text goes out in parts
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'skipped')),
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    CHECK (text IS NOT NULL OR template IS NOT NULL)
);
CREATE INDEX outbox_due ON outbox(status, not_before, id);
CREATE INDEX outbox_chat ON outbox(chat_id, status, not_before, id);
CREATE INDEX outbox_broadcast ON outbox(broadcast_id, status);
