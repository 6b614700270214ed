-- The town's civic map: TOS and organisations, the people who lead them, and members.
CREATE TABLE tos (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,                -- the name folded (any alphabet), for unique
    territory     TEXT NOT NULL DEFAULT '[]',   -- JSON list of streets and houses, one per line
    latitude      REAL,                         -- optional centre point
    longitude     REAL,
    radius_m      INTEGER,                      -- with the centre: a circle
    polygon       TEXT,                         -- optional JSON list of [lat, lon] points
    registered_on TEXT,                         -- ISO date
    residents     INTEGER NOT NULL DEFAULT 0 CHECK (residents >= 0),
    contacts      TEXT,                         -- for staff
    public_contact TEXT,                        -- what residents see, set by staff or the chair
    description   TEXT,
    join_token    TEXT NOT NULL UNIQUE,         -- the join poster's deep link
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX tos_name ON tos(name_key);  -- NOCASE would fold only ASCII

CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT 'ngo' CHECK (kind IN ('ngo', 'group', 'other')),
    description TEXT,
    contacts    TEXT,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX organisations_name ON organisations(name_key);

-- Who leads what: a TOS has one chair and may have deputies; an organisation has
-- representatives.
CREATE TABLE body_roles (
    user_id    INTEGER NOT NULL,
    body_kind  TEXT NOT NULL CHECK (body_kind IN ('tos', 'org')),
    body_id    INTEGER NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('chair', 'deputy', 'rep')),
    granted_by INTEGER,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (user_id, body_kind, body_id)
);
CREATE UNIQUE INDEX body_roles_one_chair ON body_roles(body_id)
    WHERE body_kind = 'tos' AND role = 'chair';
CREATE INDEX body_roles_body ON body_roles(body_kind, body_id);

-- Residents who joined a TOS.
CREATE TABLE tos_members (
    tos_id    INTEGER NOT NULL REFERENCES tos(id),
    user_id   INTEGER NOT NULL,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (tos_id, user_id)
);
CREATE INDEX tos_members_user ON tos_members(user_id);

-- A chair's announcements to members, for the weekly limit and the record.
CREATE TABLE tos_announcements (
    id           INTEGER PRIMARY KEY,
    tos_id       INTEGER NOT NULL REFERENCES tos(id),
    author_id    INTEGER NOT NULL,
    at           TEXT NOT NULL,
    broadcast_id INTEGER REFERENCES broadcasts(id)
);
CREATE INDEX tos_announcements_tos ON tos_announcements(tos_id, at);
