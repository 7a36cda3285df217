-- 0012_webhooks: signed webhooks. Each server may send its incidents' events to a few HTTP receivers; each one has
-- its secret (kept here because every delivery is signed with it: backups hold it too, README "Signed webhooks"),
-- the events it takes, whether it takes private incidents too, and its run of permanent failures, which pauses it.
-- A server's switch turns all its webhooks off at once. Deliveries themselves are outbox rows (kind send_webhook).

CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    number INTEGER NOT NULL,              -- the server's own numbering, how admins name it
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,                 -- JSON list of event kinds ("incident_declared", ...)
    public_only INTEGER NOT NULL DEFAULT 1,
    failures INTEGER NOT NULL DEFAULT 0,  -- permanent failures in a row
    last_failure TEXT,                    -- what the last one was (an HTTP status, a refused address)
    last_failure_at TEXT,
    paused_at TEXT,                       -- set after repeated permanent failures; cleared by an admin
    created_at TEXT NOT NULL,
    created_by INTEGER,
    secret_set_at TEXT NOT NULL,
    UNIQUE (guild_id, number)
);

CREATE TABLE webhook_switches (
    guild_id INTEGER PRIMARY KEY,
    enabled INTEGER NOT NULL,
    set_at TEXT NOT NULL,
    set_by INTEGER
);
