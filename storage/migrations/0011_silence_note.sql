-- When a person without consent, writing to the bot in a group (the staff chat), was last
-- told why the bot does not answer them: they are told once a day, not on every message.
ALTER TABLE users ADD COLUMN silence_note_at TEXT;
