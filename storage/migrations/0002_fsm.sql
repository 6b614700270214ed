-- aiogram FSM state and data, so an unfinished form survives a restart.
CREATE TABLE fsm (
    key        TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    state      TEXT,
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);
CREATE INDEX fsm_user ON fsm(user_id);
