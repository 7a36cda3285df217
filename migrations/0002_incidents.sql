-- 0002_incidents: the outage lifecycle (issue 4) — per-server configuration beyond the foundation's, sectors,
-- routes, incidents with their territories, services and append-only timeline, the announcements an incident
-- put in each channel, members who said "affected too", follows, and the interactions already handled (so the
-- same interaction submitted twice never declares twice). Times are UTC ISO-8601 text; Discord ids are INTEGER.

ALTER TABLE guild_settings ADD COLUMN working_days TEXT NOT NULL DEFAULT '1,2,3,4,5'; -- ISO weekdays, Monday = 1
ALTER TABLE guild_settings ADD COLUMN working_start TEXT NOT NULL DEFAULT '09:00';
ALTER TABLE guild_settings ADD COLUMN working_end TEXT NOT NULL DEFAULT '19:00';
ALTER TABLE guild_settings ADD COLUMN holidays_country TEXT NOT NULL DEFAULT 'FR';
ALTER TABLE guild_settings ADD COLUMN archive_after_hours INTEGER NOT NULL DEFAULT 24;
ALTER TABLE guild_settings ADD COLUMN cadence_critical_min INTEGER NOT NULL DEFAULT 60;
ALTER TABLE guild_settings ADD COLUMN cadence_major_min INTEGER NOT NULL DEFAULT 240;
ALTER TABLE guild_settings ADD COLUMN cadence_minor_min INTEGER NOT NULL DEFAULT 1440;
ALTER TABLE guild_settings ADD COLUMN dm_cap_per_incident INTEGER NOT NULL DEFAULT 50;

CREATE TABLE sectors (
    guild_id INTEGER NOT NULL,
    key TEXT NOT NULL,            -- name without case or accents, the value stored on incidents and routes
    name TEXT NOT NULL,           -- as the admin wrote it
    created_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, key)
);

CREATE TABLE routes (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    territory TEXT,               -- a territory ref ("FR", "R53", "29"), or NULL
    sector TEXT,                  -- a sector key, or NULL
    role_id INTEGER,              -- a role to mention in that channel, or NULL
    created_at TEXT NOT NULL,
    created_by INTEGER
);
CREATE INDEX routes_by_guild ON routes (guild_id, channel_id);

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    number INTEGER NOT NULL,      -- per server, shown as #42
    title TEXT NOT NULL,
    organisation TEXT,
    description TEXT,
    impact TEXT,
    sector TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('critical', 'major', 'minor')),
    cause TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved', 'cancelled')),
    started_at TEXT NOT NULL,
    declared_at TEXT NOT NULL,
    declared_by INTEGER NOT NULL,
    owner_id INTEGER NOT NULL,
    eta TEXT,
    next_update_at TEXT,
    next_update_by INTEGER,
    workaround TEXT,
    workaround_version INTEGER NOT NULL DEFAULT 0,
    workaround_set_at TEXT,
    workaround_set_by INTEGER,
    affected_count INTEGER NOT NULL DEFAULT 0,
    resolved_at TEXT,
    resolution_note TEXT,
    cancelled_at TEXT,
    cancelled_reason TEXT,
    duplicate_of INTEGER,         -- the number of the incident this one duplicates
    reopen_count INTEGER NOT NULL DEFAULT 0,
    incident_channel_id INTEGER,  -- where the thread or forum post lives
    thread_row INTEGER REFERENCES outbox (id),         -- the outbox row creating the thread / forum post
    status_message_row INTEGER REFERENCES outbox (id), -- the outbox row posting the status message
    follow_role_id INTEGER,       -- the per-incident follow role, once created (issue 5)
    thread_archived_at TEXT,      -- when the resolved incident's thread was archived (after the configured delay)
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (guild_id, number)
);
CREATE INDEX incidents_by_status ON incidents (guild_id, status, number DESC);
CREATE INDEX incidents_by_start ON incidents (guild_id, started_at);
CREATE INDEX incidents_by_end ON incidents (guild_id, resolved_at);

CREATE TABLE incident_territories (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    territory TEXT NOT NULL,      -- a territory ref
    position INTEGER NOT NULL,
    PRIMARY KEY (incident_id, territory)
);
CREATE INDEX incident_territories_by_territory ON incident_territories (territory, incident_id);

CREATE TABLE incident_services (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    key TEXT NOT NULL,            -- name without case or accents
    name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('down', 'degraded', 'restored')),
    since TEXT NOT NULL,
    affected_since TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (incident_id, key)
);

-- The server's earlier service names, offered by autocomplete.
CREATE TABLE service_names (
    guild_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    uses INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (guild_id, key)
);

CREATE TABLE updates (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    by INTEGER,
    silent INTEGER NOT NULL DEFAULT 0,
    details TEXT NOT NULL DEFAULT '{}',  -- JSON, keys per kind (bot/domain/updates.py)
    thread_post_row INTEGER REFERENCES outbox (id)
);
CREATE INDEX updates_by_incident ON updates (incident_id, id);
-- updates are a timeline: append-only
CREATE TRIGGER updates_append_only_update BEFORE UPDATE OF incident_id, kind, at, by, silent, details ON updates
BEGIN
    SELECT RAISE(ABORT, 'updates are append-only');
END;
CREATE TRIGGER updates_append_only_delete BEFORE DELETE ON updates
BEGIN
    SELECT RAISE(ABORT, 'updates are append-only');
END;

CREATE TABLE announcements (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    channel_id INTEGER NOT NULL,
    role_ids TEXT NOT NULL DEFAULT '[]',  -- JSON list of the roles mentioned there
    message_row INTEGER REFERENCES outbox (id),  -- the outbox row that posted the standing announcement
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'withdrawn')),
    announced_at TEXT NOT NULL,
    PRIMARY KEY (incident_id, channel_id)
);

CREATE TABLE affected_members (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    user_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (incident_id, user_id)
);

CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('incident', 'territory', 'sector')),
    target TEXT NOT NULL,         -- incident id, territory ref or sector key
    dm INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (guild_id, user_id, kind, target)
);
CREATE INDEX subscriptions_by_target ON subscriptions (guild_id, kind, target);

CREATE TABLE handled_interactions (
    interaction_id INTEGER PRIMARY KEY,
    guild_id INTEGER,
    action TEXT NOT NULL,
    result TEXT NOT NULL,         -- JSON: what the first handling answered
    at TEXT NOT NULL
);
