-- Grant competitions and the applications bodies register for them; events, sign-ups and
-- the record of which scheduled reminders were already handled.
CREATE TABLE competitions (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    organiser   TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    eligible    TEXT NOT NULL,                -- comma list of tos | ngo | group
    opens_at    TEXT NOT NULL,                -- the application window, UTC instants
    deadline    TEXT NOT NULL,
    results_at  TEXT,
    rules_url   TEXT,
    max_grant   INTEGER CHECK (max_grant IS NULL OR max_grant > 0),
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    announced_at TEXT,                        -- when eligible chairs were told it opened
    created_by  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK (deadline > opens_at)
);
CREATE INDEX competitions_deadline ON competitions(status, deadline);

-- One application per body and competition; a withdrawn one may be registered again.
CREATE TABLE competition_applications (
    id             INTEGER PRIMARY KEY,
    competition_id INTEGER NOT NULL REFERENCES competitions(id),
    body_kind      TEXT NOT NULL CHECK (body_kind IN ('tos', 'org')),
    body_id        INTEGER NOT NULL,
    project        TEXT NOT NULL,
    direction      TEXT NOT NULL,
    amount         INTEGER NOT NULL CHECK (amount >= 0),
    initiative_id  INTEGER REFERENCES initiatives(id),
    applicant_id   INTEGER NOT NULL,
    status         TEXT NOT NULL DEFAULT 'registered' CHECK (status IN ('registered', 'withdrawn')),
    result         TEXT CHECK (result IN ('winner', 'not_winner')),
    awarded        INTEGER CHECK (awarded IS NULL OR awarded >= 0),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (competition_id, body_kind, body_id)
);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    starts_at    TEXT NOT NULL,
    ends_at      TEXT NOT NULL,
    place        TEXT NOT NULL,
    organiser    TEXT NOT NULL,
    joint        INTEGER NOT NULL DEFAULT 0,  -- held jointly with the town hall
    capacity     INTEGER CHECK (capacity IS NULL OR capacity > 0),
    audience_tos INTEGER REFERENCES tos(id),  -- NULL: everyone
    owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('town', 'tos', 'org')),
    owner_id     INTEGER NOT NULL DEFAULT 0,
    attended     INTEGER CHECK (attended IS NULL OR attended >= 0),
    created_by   INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    draft_token  TEXT UNIQUE,                 -- one form saves one event, however often sent
    CHECK (ends_at > starts_at)
);
CREATE INDEX events_starts ON events(starts_at);

CREATE TABLE event_signups (
    event_id  INTEGER NOT NULL REFERENCES events(id),
    user_id   INTEGER NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('going', 'waiting', 'cancelled')),
    signed_at TEXT NOT NULL,  -- the waiting list's order
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX event_signups_status ON event_signups(event_id, status, signed_at);

-- Scheduled stages already handled (a reminder round sent, or dropped as too late): the
-- key names the object, its target time and the offset, so an edited time makes new keys.
CREATE TABLE reminder_stages (
    key     TEXT PRIMARY KEY,
    outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'dropped', 'skipped')),
    at      TEXT NOT NULL
);
