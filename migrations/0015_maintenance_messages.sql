-- 0015_maintenance_messages: each message a maintenance (0010_maintenance) tells beyond its thread, recorded in
-- the unit of work of its change: scheduled, rescheduled, extended, started, ended, cancelled, converted (turned
-- into an incident). A maintenance row keeps only its current times; this record keeps the times each message
-- told, so that the public feeds (bot/public) write one entry per message, with an id (its place) and an
-- `updated` (its time) that never change. Only what its maintenance's `public` flag allows is ever read for them.
-- maintenance_messages.place: 0 for the scheduling, then 1, 2… in the order written (append only).
-- No column names a member.
CREATE TABLE maintenance_messages (
    maintenance_id INTEGER NOT NULL REFERENCES maintenance (id),
    place INTEGER NOT NULL,
    kind TEXT NOT NULL
        CHECK (kind IN ('scheduled', 'rescheduled', 'extended', 'started', 'ended', 'cancelled', 'converted')),
    at TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    PRIMARY KEY (maintenance_id, place)
);
CREATE INDEX maintenance_messages_by_time ON maintenance_messages (at);

-- The feeds show them: any change moves the server's page version (0013_public_versions) in the same transaction.
CREATE TRIGGER public_version_maintenance_message_insert AFTER INSERT ON maintenance_messages
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM maintenance WHERE id = NEW.maintenance_id);
END;

CREATE TRIGGER public_version_maintenance_message_update AFTER UPDATE ON maintenance_messages
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id IN (SELECT guild_id FROM maintenance WHERE id IN (OLD.maintenance_id, NEW.maintenance_id));
END;

CREATE TRIGGER public_version_maintenance_message_delete AFTER DELETE ON maintenance_messages
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM maintenance WHERE id = OLD.maintenance_id);
END;
