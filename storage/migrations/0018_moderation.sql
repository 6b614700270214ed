-- Moderation of what is public (issue 18): residents report a public initiative, a few
-- reports hide it until staff look; staff hide, restore or edit it with a reason; every step
-- is logged.

-- 1: hidden from the public list and card (by reports or by staff) until staff restore it.
ALTER TABLE initiatives ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;

-- A resident's report: one per person and initiative. `pending` until staff look at the
-- initiative (hide or restore it): only pending reports count towards hiding it.
-- `reporter_id` goes (NULL) when the person's data is erased.
CREATE TABLE moderation_reports (
    id            INTEGER PRIMARY KEY,
    initiative_id INTEGER NOT NULL REFERENCES initiatives(id),
    reporter_id   INTEGER,
    reason        TEXT NOT NULL
                  CHECK (reason IN ('spam', 'offensive', 'personal', 'off_topic')),
    pending       INTEGER NOT NULL DEFAULT 1,
    at            TEXT NOT NULL,
    UNIQUE (initiative_id, reporter_id)
);
CREATE INDEX moderation_reports_pending ON moderation_reports(initiative_id, pending);

-- Every moderation step: a report, the hiding that reports caused, and staff's hide, restore
-- and edit with their reason. `actor_id`: who (NULL: the bot itself, or a person erased).
CREATE TABLE moderation_log (
    id            INTEGER PRIMARY KEY,
    initiative_id INTEGER NOT NULL REFERENCES initiatives(id),
    action        TEXT NOT NULL
                  CHECK (action IN ('report', 'auto_hide', 'hide', 'restore', 'edit')),
    actor_id      INTEGER,
    reason        TEXT,
    at            TEXT NOT NULL
);
CREATE INDEX moderation_log_at ON moderation_log(at);

-- The author's own text of an initiative staff edited (the first edit keeps it; later edits
-- keep it too), for staff to see on the card.
CREATE TABLE initiative_originals (
    initiative_id INTEGER PRIMARY KEY REFERENCES initiatives(id),
    title         TEXT NOT NULL,
    description   TEXT NOT NULL,
    at            TEXT NOT NULL
);
