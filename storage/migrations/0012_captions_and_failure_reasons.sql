-- What a resident typed under a photo of their initiative: kept with the photo and shown on
-- the staff card, the author's preview and the public card.
ALTER TABLE initiative_photos ADD COLUMN caption TEXT;

-- Why a message was not delivered, as a code the bot explains in the reader's language
-- (/outbox); last_error keeps Telegram's own words for the log and for developers.
ALTER TABLE outbox ADD COLUMN error_code TEXT;
