-- What a resident typed under a photo of their initiative: kept with the photo and shown on
-- the staff card, the author's preview and the public card.
ALTER TABLE initiative_photos ADD COLUMN caption TEXT;
