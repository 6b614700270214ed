-- Citizen initiatives: a resident's idea, staff decisions, public support.
CREATE TABLE initiatives (
    id           INTEGER PRIMARY KEY,
    year         INTEGER NOT NULL,
    seq          INTEGER NOT NULL,                 -- public number: И-{year}-{seq:04}
    draft_token  TEXT NOT NULL UNIQUE,             -- one form sends one initiative
    author_id    INTEGER NOT NULL REFERENCES users(id),
    direction    TEXT NOT NULL
                 CHECK (direction IN ('improvement', 'sport', 'festivals', 'memorials', 'other')),
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    address      TEXT,
    latitude     REAL,
    longitude    REAL,
    tos_id       INTEGER,                          -- the registry arrives with the TOS issue
    show_author  INTEGER NOT NULL DEFAULT 0,       -- 152-FZ art. 10.1: public name only by choice
    status       TEXT NOT NULL DEFAULT 'new'
                 CHECK (status IN ('new', 'review', 'accepted', 'rejected', 'in_progress',
                                   'done', 'merged')),
    merged_into  INTEGER REFERENCES initiatives(id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (year, seq)
);
CREATE INDEX initiatives_author ON initiatives(author_id);
CREATE INDEX initiatives_public ON initiatives(status, direction, id);

CREATE TABLE initiative_photos (
    initiative_id INTEGER NOT NULL REFERENCES initiatives(id),
    stage         TEXT NOT NULL CHECK (stage IN ('before', 'after')),
    position      INTEGER NOT NULL,
    file_id       TEXT NOT NULL,
    PRIMARY KEY (initiative_id, stage, position)
);

CREATE TABLE initiative_log (
    id            INTEGER PRIMARY KEY,
    initiative_id INTEGER NOT NULL REFERENCES initiatives(id),
    actor_id      INTEGER,
    at            TEXT NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    comment       TEXT
);
CREATE INDEX initiative_log_item ON initiative_log(initiative_id);

CREATE TABLE initiative_supports (
    initiative_id INTEGER NOT NULL REFERENCES initiatives(id),
    user_id       INTEGER NOT NULL,
    at            TEXT NOT NULL,
    PRIMARY KEY (initiative_id, user_id)
);

-- The staff cards of an initiative (one per staff chat or staff member), to edit in place.
CREATE TABLE initiative_cards (
    initiative_id INTEGER NOT NULL REFERENCES initiatives(id),
    chat_id       INTEGER NOT NULL,
    outbox_id     INTEGER NOT NULL REFERENCES outbox(id),
    PRIMARY KEY (initiative_id, chat_id)
);

-- The outbox learns photos (an album), edits of a message it sent, and remembers the
-- Telegram id of what it sent, so that a card can be edited in place later.
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'text';   -- text | album | edit
ALTER TABLE outbox ADD COLUMN media TEXT;                          -- JSON list of photo file ids
ALTER TABLE outbox ADD COLUMN edit_of INTEGER REFERENCES outbox(id);
ALTER TABLE outbox ADD COLUMN message_id INTEGER;                  -- Telegram's, once sent
