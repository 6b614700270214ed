-- Support requests: a resident, a TOS or an NGO asks the town hall for help; a case with a
-- due date, a status log and a two-way conversation through the bot.
CREATE TABLE support_requests (
    id             INTEGER PRIMARY KEY,
    year           INTEGER NOT NULL,
    seq            INTEGER NOT NULL,                 -- public number: З-{year}-{seq:04}
    draft_token    TEXT NOT NULL UNIQUE,             -- one form sends one request
    requester_id   INTEGER NOT NULL REFERENCES users(id),
    kind           TEXT NOT NULL
                   CHECK (kind IN ('consultation', 'event', 'transport', 'information',
                                   'premises', 'other')),
    behalf_kind    TEXT NOT NULL DEFAULT 'self' CHECK (behalf_kind IN ('self', 'tos', 'org')),
    behalf_id      INTEGER,                          -- tos.id or organisations.id
    behalf_name    TEXT,                             -- the body's name when the request was sent
    description    TEXT NOT NULL,
    wanted_date    TEXT,                             -- ISO date, for transport and events
    phone          TEXT,                             -- shared with Telegram's contact button
    status         TEXT NOT NULL DEFAULT 'new'
                   CHECK (status IN ('new', 'in_work', 'answered', 'closed', 'rejected')),
    assignee_id    INTEGER,                          -- the staff member who took it
    opened_at      TEXT NOT NULL,                    -- start of the current term (reopen resets)
    due_at         TEXT NOT NULL,                    -- 59-FZ: 30 days unless set shorter
    cycle          INTEGER NOT NULL DEFAULT 0,       -- how many times it was reopened
    nudged         INTEGER NOT NULL DEFAULT 0,       -- the last nudge sent: 0, 50 or 80 (%)
    closed_at      TEXT,
    helped         INTEGER,                          -- the requester's rating: 1 yes, 0 no
    rating_comment TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (year, seq)
);
CREATE INDEX support_requests_requester ON support_requests(requester_id, id);
CREATE INDEX support_requests_open ON support_requests(status, due_at);

-- Every change of status: who, when, from, to, and a comment (a reason, a rating).
CREATE TABLE request_log (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES support_requests(id),
    actor_id    INTEGER,
    at          TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    comment     TEXT
);
CREATE INDEX request_log_item ON request_log(request_id);

-- The conversation: the request's own text and attachment, answers and follow-ups.
CREATE TABLE request_messages (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES support_requests(id),
    direction  TEXT NOT NULL CHECK (direction IN ('in', 'out')),  -- in: requester, out: town hall
    author_id  INTEGER,                          -- kept on the server, never shown to the requester
    text       TEXT,
    file_kind  TEXT CHECK (file_kind IN ('photo', 'document')),
    file_id    TEXT,
    at         TEXT NOT NULL,
    CHECK (text IS NOT NULL OR file_id IS NOT NULL)
);
CREATE INDEX request_messages_item ON request_messages(request_id, id);

-- The staff cards of a request (one per staff chat or staff member), to edit in place.
CREATE TABLE request_cards (
    request_id INTEGER NOT NULL REFERENCES support_requests(id),
    chat_id    INTEGER NOT NULL,
    outbox_id  INTEGER NOT NULL REFERENCES outbox(id),
    PRIMARY KEY (request_id, chat_id)
);

-- Messages of a request's thread, so that a Telegram reply to one finds its request:
-- side 'staff' (a card and what follows it), side 'requester' (answers and notices).
-- Sent through the outbox (outbox_id; Telegram's id is known once sent) or directly.
CREATE TABLE request_links (
    request_id INTEGER NOT NULL REFERENCES support_requests(id),
    side       TEXT NOT NULL CHECK (side IN ('staff', 'requester')),
    chat_id    INTEGER NOT NULL,
    outbox_id  INTEGER REFERENCES outbox(id),
    message_id INTEGER,
    CHECK (outbox_id IS NOT NULL OR message_id IS NOT NULL)
);
CREATE UNIQUE INDEX request_links_outbox ON request_links(outbox_id) WHERE outbox_id IS NOT NULL;
CREATE INDEX request_links_message ON request_links(chat_id, message_id)
    WHERE message_id IS NOT NULL;

-- The outbox learns replies (a thread under a staff card) and single files with a caption.
ALTER TABLE outbox ADD COLUMN reply_to INTEGER REFERENCES outbox(id);
CREATE INDEX outbox_message ON outbox(chat_id, message_id);
