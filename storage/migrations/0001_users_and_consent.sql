-- People who have talked to the bot, and the record of their consent (152-FZ).
CREATE TABLE users (
    id              INTEGER PRIMARY KEY,        -- Telegram user id
    first_name      TEXT,                       -- kept only while consent is given
    last_name       TEXT,
    username        TEXT,
    language_code   TEXT,                       -- what Telegram reports
    locale          TEXT,                       -- what the user chose in /lang
    consent_version TEXT,                       -- notice version agreed to; NULL = no consent
    consent_at      TEXT,
    pending_payload TEXT,                       -- a /start payload kept until consent
    created_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL,
    erased_at       TEXT                        -- when personal data was erased on withdrawal
);

CREATE TABLE consent_log (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    action         TEXT NOT NULL CHECK (action IN ('given', 'withdrawn')),
    notice_version TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX consent_log_user ON consent_log(user_id);

CREATE TABLE staff (
    user_id  INTEGER PRIMARY KEY,               -- may not have opened the bot yet
    added_by INTEGER,
    added_at TEXT NOT NULL
);
