-- One database serves Telegram and MAX (issue 16). Telegram's ids are used as they are;
-- every person and chat of another messenger gets an internal id of its own in a range
-- Telegram never uses (bot/messengers/__init__.py: MAX_ID_BASE and up for a person or a
-- private chat, its negative for a group), so no id collides and the sign keeps its meaning.
-- The internal id is MAX_ID_BASE + number.
CREATE TABLE messenger_ids (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    messenger TEXT NOT NULL,          -- 'max'
    kind TEXT NOT NULL,               -- 'user' or 'chat' (a group)
    external_id INTEGER NOT NULL,     -- the messenger's own id
    dialog_id INTEGER,                -- a person's dialog with the bot, when known (MAX)
    UNIQUE (messenger, kind, external_id)
);

-- MAX names a message by a string (`mid`); aiogram, the outbox and the cases keep integers.
-- Each message the bot sends or receives on MAX gets one here, kept across restarts, so an
-- edit or a reply made after a restart finds its message. `media` keeps what the message
-- carries beside its keyboard (attachment tokens, JSON): MAX drops what an edit omits.
CREATE TABLE messenger_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    messenger TEXT NOT NULL,
    external_id TEXT NOT NULL,
    chat_id INTEGER NOT NULL,         -- internal chat id
    media TEXT,
    UNIQUE (messenger, external_id)
);

-- Where a messenger's long polling stopped (MAX's `marker`): a restart goes on from there.
CREATE TABLE messenger_state (
    messenger TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (messenger, key)
);
