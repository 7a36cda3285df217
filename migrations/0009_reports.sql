-- 0009_reports: members' reports of a suspected outage, grouped by organisation, shown to coordinators on a
-- triage card and turned into an incident (or set aside) from it.
-- guild_settings: the reports channel (NULL: the bot-log channel), the role that may report (NULL: every
--   member), and the alert rule: `report_alert_members` distinct members within `report_alert_window_min`.
-- report_groups: one per organisation while open; its card (the outbox rows that posted and last edited it),
--   whether it is listed on the summary card instead (past the cap of open cards), when it alerted, and how it
--   ended (declared, attached to an incident, merged into another group, set aside with a reason, withdrawn).
-- report_group_keys: the organisation keys a group answers to (its own, and those of groups merged into it).
-- reports: every report as typed, in its group, or joined to an incident directly; `incident_id` is set once
--   its group became or joined an incident (the export's figures read it). Withdrawn and abuse reports stay.
-- report_summary_cards: the one card per server that lists the groups past the cap.
-- report_abuse: members whose reports are set aside until a time (a coordinator marked one as abuse).
-- report_organisations: organisations named in reports, offered by autocomplete.
-- incidents_open_by_organisation: every report compares its organisation with the open incidents': their names,
--   read from this small index (open incidents only), whatever the history holds.

ALTER TABLE guild_settings ADD COLUMN reports_channel_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN reports_role_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN report_alert_members INTEGER NOT NULL DEFAULT 3;
ALTER TABLE guild_settings ADD COLUMN report_alert_window_min INTEGER NOT NULL DEFAULT 60;

CREATE TABLE report_groups (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    organisation TEXT NOT NULL,   -- as first named
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'declared', 'attached', 'merged', 'set_aside', 'withdrawn')),
    opened_at TEXT NOT NULL,
    alerted_at TEXT,
    card_channel_id INTEGER,
    card_row INTEGER REFERENCES outbox (id),       -- the row posting the card
    card_edit_row INTEGER REFERENCES outbox (id),  -- the row that last edited it
    on_summary INTEGER NOT NULL DEFAULT 0,
    decided_at TEXT,
    decided_by INTEGER,
    reason TEXT,
    incident_id INTEGER REFERENCES incidents (id),
    merged_into INTEGER REFERENCES report_groups (id),
    updated_at TEXT NOT NULL
);
CREATE INDEX report_groups_by_status ON report_groups (guild_id, status, id);
CREATE INDEX report_groups_by_incident ON report_groups (incident_id);

CREATE TABLE report_group_keys (
    group_id INTEGER NOT NULL REFERENCES report_groups (id),
    guild_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (group_id, key)
);
CREATE INDEX report_group_keys_by_key ON report_group_keys (guild_id, key);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    group_id INTEGER REFERENCES report_groups (id),
    incident_id INTEGER REFERENCES incidents (id),
    user_id INTEGER NOT NULL,
    role_ids TEXT NOT NULL DEFAULT '[]',     -- JSON: the roles the member held (the sector a card suggests)
    organisation TEXT NOT NULL,
    services TEXT NOT NULL DEFAULT '[]',     -- JSON list of names as typed
    territories TEXT NOT NULL DEFAULT '[]',  -- JSON list of territory refs
    since TEXT,
    details TEXT,
    at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'withdrawn', 'abuse')),
    withdrawn_at TEXT
);
CREATE INDEX reports_by_group ON reports (group_id, at);
CREATE INDEX reports_by_member ON reports (guild_id, user_id, at);
CREATE INDEX reports_by_incident ON reports (incident_id, at);

CREATE TABLE report_summary_cards (
    guild_id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    card_row INTEGER REFERENCES outbox (id),
    card_edit_row INTEGER REFERENCES outbox (id)
);

CREATE TABLE report_abuse (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    until TEXT NOT NULL,
    marked_by INTEGER NOT NULL,
    marked_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE report_organisations (
    guild_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, key)
);
CREATE INDEX report_organisations_by_use ON report_organisations (guild_id, last_used_at);

CREATE INDEX incidents_open_by_organisation ON incidents (guild_id, organisation, number)
    WHERE status IN ('investigating', 'identified', 'monitoring') AND organisation IS NOT NULL;
