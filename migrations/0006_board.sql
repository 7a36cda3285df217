-- 0006_board: the live boards (issue 13, item 1). Each board is one message in a chosen channel, optionally
-- restricted to a territory and/or a sector the way a route is, listing what is down now; the bot keeps it
-- current through the outbox.
-- boards.message_id: the board's message once posted (the outbox records it; a board posted anew, because its
--   message was deleted or Discord refused more edits of it (30046), gets the new id).
-- boards.shown_digest: the digest of the content last planned for it, so a change that alters nothing the
--   board shows plans no edit.
-- boards.removed_at: set when an admin removes the board (the row stays until its message is deleted).
-- board_late_marks: for each open incident, the committed "next update" time whose passing was last shown
--   (boards and the status message say "late since …" once that time has passed, once per committed time).
CREATE TABLE boards (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    territory TEXT,               -- a territory ref ("FR", "R53", "29"), or NULL
    sector TEXT,                  -- a sector key, or NULL
    message_id INTEGER,
    shown_digest TEXT,
    created_at TEXT NOT NULL,
    created_by INTEGER,
    removed_at TEXT
);
CREATE INDEX boards_by_guild ON boards (guild_id, removed_at);

CREATE TABLE board_late_marks (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id),
    next_update_at TEXT NOT NULL,
    shown_at TEXT NOT NULL
);
