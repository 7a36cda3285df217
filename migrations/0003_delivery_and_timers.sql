-- 0003_delivery_and_timers: what issue 5 needs to deliver completely and to keep time.
-- reminders: personal reminders (/remind); the row is the timer's truth (pending → firing → done).
-- incident_nudges: each open incident's nudge bookkeeping, so nudges survive a restart and are never doubled.
-- member_dm_status: members whose DMs are closed (50007), told once the next time they use the bot.
-- delivery_state: process-wide delivery facts that must survive a restart (e.g. DMs paused after 40003).
-- outbox.failure_told_at: a permanent failure is told once in the bot-log channel.

CREATE TABLE reminders (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER,
    owner_id INTEGER NOT NULL,
    due_at TEXT NOT NULL,
    text TEXT NOT NULL,
    place TEXT NOT NULL CHECK (place IN ('here', 'thread', 'dm')),
    channel_id INTEGER,
    incident_id INTEGER REFERENCES incidents (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'firing', 'done', 'cancelled')),
    created_at TEXT NOT NULL,
    fired_at TEXT,
    late_from TEXT,
    message_row INTEGER REFERENCES outbox (id),
    snoozes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX reminders_due ON reminders (status, due_at);
CREATE INDEX reminders_by_owner ON reminders (owner_id, status);

CREATE TABLE incident_nudges (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id),
    last_nudge_at TEXT,
    consecutive_nudges INTEGER NOT NULL DEFAULT 0,
    log_noted INTEGER NOT NULL DEFAULT 0,
    next_update_nudged INTEGER NOT NULL DEFAULT 0,
    eta_reminded INTEGER NOT NULL DEFAULT 0,
    planned_kind TEXT,
    planned_at TEXT,
    updated_at TEXT NOT NULL,
    -- the last news the counts above were kept against (a later one starts the count again), the ETA that was
    -- asked about and the committed time that was nudged: a new ETA or commitment is asked about again
    seen_update_at TEXT,
    reminded_eta TEXT,
    nudged_next_update_at TEXT
);

CREATE TABLE member_dm_status (
    user_id INTEGER PRIMARY KEY,
    dms_closed_at TEXT,
    told_at TEXT
);

CREATE TABLE delivery_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

ALTER TABLE outbox ADD COLUMN failure_told_at TEXT;

-- Following (issue 5, items 1 and 2):
-- incidents.follow_role_row: the outbox row creating the incident's follow role; thread posts reference its
--   result until incidents.follow_role_id is known (cleared when the role is deleted at closing).
-- subscriptions.role_ids: the route roles a territory or sector follow gave the member (JSON list), so that
--   unfollowing removes exactly those, whatever the routes have become since.
-- subscriptions.role_row: the outbox row adding the incident's follow role to the member, if any.
-- outbox.first_attempt_at: when the row was first attempted: past Discord's nonce window, a repeated send
--   looks for what the earlier attempt may have posted before posting again.
ALTER TABLE incidents ADD COLUMN follow_role_row INTEGER REFERENCES outbox (id);
ALTER TABLE subscriptions ADD COLUMN role_ids TEXT;
ALTER TABLE subscriptions ADD COLUMN role_row INTEGER REFERENCES outbox (id);
ALTER TABLE outbox ADD COLUMN first_attempt_at TEXT;
CREATE INDEX subscriptions_by_user ON subscriptions (guild_id, user_id);
