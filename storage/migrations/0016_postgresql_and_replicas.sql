-- PostgreSQL as a second backend and several replicas on it (issue 17).

-- only postgresql: begin
-- SQLite's julianday() for the instants kept as ISO text (days to a request's first answer).
CREATE OR REPLACE FUNCTION julianday(moment TEXT) RETURNS DOUBLE PRECISION
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    AS $$ SELECT extract(epoch FROM moment::timestamptz)::double precision / 86400.0 + 2440587.5 $$;
-- only postgresql: end

-- Updates received by webhook: kept before Telegram hears "received", deleted once handled
-- (bot/webhook.py). `person` is whose updates are handled one at a time, in order, by
-- whichever replica holds that person's lock; NULL for updates of nobody in particular.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,
    person      INTEGER,
    body        TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX inbox_person ON inbox(person, update_id);
CREATE INDEX inbox_received ON inbox(received_at);
