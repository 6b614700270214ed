-- Events that change (issue 18): the organiser or staff move an event (a new time or place)
-- or cancel it; the people signed up and the waiting list are told, with a calendar file
-- that supersedes the one they got.
-- `sequence` is the iCalendar SEQUENCE of the event's .ics: 0 as announced, one more at each
-- change and at the cancellation (the same UID, a higher SEQUENCE: calendars replace it).
ALTER TABLE events ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN changed_at TEXT;      -- the last change of its time or place
ALTER TABLE events ADD COLUMN cancelled_at TEXT;    -- NULL: it takes place
ALTER TABLE events ADD COLUMN cancel_reason TEXT;   -- what the people signed up were told
