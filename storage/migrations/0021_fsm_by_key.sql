-- The FSM's rows are found and written by their key alone. On SQLite a rowid table kept
-- each key twice, in the table and in its primary key's index, so that a form's first
-- step (the row's insert) and its last (the delete) wrote three pages where a table keyed
-- by the key itself (WITHOUT ROWID) writes two. PostgreSQL's table stays as it is.
-- only sqlite: begin
CREATE TABLE fsm_by_key (
    key        TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    state      TEXT,
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO fsm_by_key (key, user_id, state, data, updated_at)
    SELECT key, user_id, state, data, updated_at FROM fsm;
DROP TABLE fsm;
ALTER TABLE fsm_by_key RENAME TO fsm;
CREATE INDEX fsm_user ON fsm(user_id);
-- only sqlite: end
