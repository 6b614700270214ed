-- One-time deep-link invites that give a role to whoever opens them.
CREATE TABLE invites (
    token      TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,                   -- 'staff' now; chairs and NGOs later
    target_id  INTEGER,                         -- the TOS or organisation, where the kind has one
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    uses_left  INTEGER,                         -- NULL = unlimited until expiry
    revoked_at TEXT
);

CREATE TABLE invite_uses (
    token   TEXT NOT NULL REFERENCES invites(token) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    used_at TEXT NOT NULL,
    PRIMARY KEY (token, user_id)
);
