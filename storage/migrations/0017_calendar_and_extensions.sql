-- The production calendar and 59-FZ's extension of a request's term (issue 18).

-- The town's own days off (a local holiday), added by staff in the bot (/daysoff): every
-- due date in working days computed after skips them, besides Russia's official calendar.
CREATE TABLE local_days_off (
    day      TEXT PRIMARY KEY,  -- ISO date, on the town's calendar
    name     TEXT NOT NULL,
    added_by INTEGER,
    added_at TEXT NOT NULL
);

-- 59-FZ art. 12 part 2: staff extend a request's term once, by up to 30 days, with a reason
-- the requester is told. due_at becomes the new date (overdue, nudges and the report's
-- "answered on time" follow it); these keep what it was and why. A request reopened later
-- gets a new term, and extended_to then no longer equals due_at.
ALTER TABLE support_requests ADD COLUMN extended_from TEXT;  -- the due date before
ALTER TABLE support_requests ADD COLUMN extended_to TEXT;  -- the due date it set
ALTER TABLE support_requests ADD COLUMN extension_reason TEXT;
ALTER TABLE support_requests ADD COLUMN extended_by INTEGER;
ALTER TABLE support_requests ADD COLUMN extended_at TEXT;
CREATE INDEX support_requests_extended ON support_requests(created_at) WHERE extended_at IS NOT NULL;
