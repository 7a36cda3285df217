-- 0010_maintenance: planned maintenance (issue 13, item 2), kept in tables of its own so that no incident
-- listing, figure, nudge, public page or export counts it. A maintenance is announced where an incident with the
-- same facts would be (the routes), has its own thread, starts and ends on its own at the planned times, and may
-- be turned into an incident (maintenance.incident_id then names it; from there on it is that incident).
-- maintenance.stage: how far its messages went (scheduled, reminded, started, asked, ended), or cancelled /
--   converted; the row is its timer's truth: the next time is computed from the stage and the planned times.
-- maintenance.public: whether the server's public page may show it (the server's default when it was scheduled).
-- maintenance_announcements: one standing announcement per channel its routes lead to, edited at each change.
-- maintenance_settings: how long before the start the reminder goes out (one hour unless an admin says).
CREATE TABLE maintenance (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    number INTEGER NOT NULL,
    organisation TEXT NOT NULL,
    sector TEXT,
    workaround TEXT,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    scheduled_at TEXT NOT NULL,
    scheduled_by INTEGER NOT NULL,
    owner_id INTEGER NOT NULL,
    stage TEXT NOT NULL DEFAULT 'scheduled'
        CHECK (stage IN ('scheduled', 'reminded', 'started', 'asked', 'ended', 'cancelled', 'converted')),
    reminder_lead_s INTEGER NOT NULL,
    ended_at TEXT,
    public INTEGER NOT NULL DEFAULT 0,
    incident_id INTEGER REFERENCES incidents (id),
    incident_channel_id INTEGER,
    thread_row INTEGER,
    status_message_row INTEGER,
    updated_at TEXT NOT NULL,
    UNIQUE (guild_id, number)
);
CREATE INDEX maintenance_by_time ON maintenance (guild_id, starts_at);
CREATE INDEX maintenance_pending ON maintenance (stage) WHERE stage NOT IN ('ended', 'cancelled', 'converted');

CREATE TABLE maintenance_services (
    maintenance_id INTEGER NOT NULL REFERENCES maintenance (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (maintenance_id, position)
);

CREATE TABLE maintenance_territories (
    maintenance_id INTEGER NOT NULL REFERENCES maintenance (id),
    territory TEXT NOT NULL,
    PRIMARY KEY (maintenance_id, territory)
);

CREATE TABLE maintenance_announcements (
    maintenance_id INTEGER NOT NULL REFERENCES maintenance (id),
    channel_id INTEGER NOT NULL,
    role_ids TEXT NOT NULL,            -- JSON list of the roles the routes there mention
    message_row INTEGER,
    PRIMARY KEY (maintenance_id, channel_id)
);

CREATE TABLE maintenance_settings (
    guild_id INTEGER PRIMARY KEY,
    reminder_lead_s INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER
);
