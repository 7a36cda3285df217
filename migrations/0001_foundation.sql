-- 0001_foundation: the tables every feature relies on (issue 2, the foundation).
-- guild_settings: each server's language, time zone and the channels and role Tocsin works with.
-- member_locales: a member's last seen interaction locale, so direct messages use their language.
-- audit_log: who did what, when, with which arguments and the result; append-only, enforced by triggers.
-- outbox: every message, edit, thread and role change a use case decides, written in its transaction and
--         delivered afterwards by the one delivery worker (ordered per lane, paced, retried, idempotent).
-- dm_channels: the DM channel opened for each member, so opening one costs a request once per member, ever.
-- Times are UTC ISO-8601 text with "+00:00" (bot/db/times.py). Never edit this file once landed: add 0002…

CREATE TABLE guild_settings (
    guild_id INTEGER PRIMARY KEY,
    language TEXT NOT NULL DEFAULT 'fr',
    time_zone TEXT NOT NULL DEFAULT 'Europe/Paris',
    coordinator_role_id INTEGER,
    incident_channel_id INTEGER,
    bot_log_channel_id INTEGER,
    updated_at TEXT NOT NULL
);

CREATE TABLE member_locales (
    user_id INTEGER PRIMARY KEY,
    locale TEXT NOT NULL,
    seen_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER,
    actor_id INTEGER,
    action TEXT NOT NULL,
    arguments TEXT NOT NULL, -- JSON
    result TEXT NOT NULL,
    at TEXT NOT NULL
);

CREATE INDEX audit_log_by_guild ON audit_log (guild_id, at);

CREATE TRIGGER audit_log_refuses_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_refuses_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER,
    lane TEXT NOT NULL,          -- ordering key: one lane is delivered strictly in id order, one row at a time
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,       -- JSON; {"$ref": <row id>, "field": ...} is replaced by that row's result field
    depends_on INTEGER REFERENCES outbox (id),
    coalesce_key TEXT,           -- a newer row with the same key supersedes the older pending ones
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'in_flight', 'done', 'failed', 'superseded')),
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    done_at TEXT,
    result TEXT,                 -- JSON
    error_status INTEGER,
    error_code INTEGER,
    error_text TEXT
);

CREATE INDEX outbox_waiting_by_lane ON outbox (lane, id) WHERE status IN ('pending', 'in_flight');
CREATE INDEX outbox_by_status ON outbox (status, created_at);
CREATE INDEX outbox_pending_by_coalesce_key ON outbox (coalesce_key)
    WHERE status = 'pending' AND coalesce_key IS NOT NULL;

CREATE TABLE dm_channels (
    user_id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    opened_at TEXT NOT NULL
);
