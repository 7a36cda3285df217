-- 0013_public_versions: a version per public page, moved in the very transaction of any change to what the
-- server's public pages, feeds and API show, so that what is rendered once can be kept until that version moves
-- (bot/web/cache.py): the page row, incidents with their timeline, visibility, services and territories, and the
-- server's language, time zone and sector names (the words of its feeds and sector pages). Servers without a page
-- pay one indexed update that changes nothing. A table read by a public page, feed or API added later gets its
-- triggers in a migration of its own.

ALTER TABLE public_pages ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER public_version_page AFTER UPDATE OF slug, name, enabled, default_public ON public_pages
BEGIN
    UPDATE public_pages SET version = version + 1 WHERE guild_id = NEW.guild_id;
END;

CREATE TRIGGER public_version_incident_insert AFTER INSERT ON incidents
BEGIN
    UPDATE public_pages SET version = version + 1 WHERE guild_id = NEW.guild_id;
END;

CREATE TRIGGER public_version_incident_update AFTER UPDATE ON incidents
BEGIN
    UPDATE public_pages SET version = version + 1 WHERE guild_id IN (OLD.guild_id, NEW.guild_id);
END;

CREATE TRIGGER public_version_incident_delete AFTER DELETE ON incidents
BEGIN
    UPDATE public_pages SET version = version + 1 WHERE guild_id = OLD.guild_id;
END;

CREATE TRIGGER public_version_update AFTER INSERT ON updates
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM incidents WHERE id = NEW.incident_id);
END;

-- The timeline is append-only but for a forget (0011_privacy), which rewrites a member's id where it appears in
-- the timeline's entries: what the pages show of them changes with it.
CREATE TRIGGER public_version_update_update AFTER UPDATE ON updates
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM incidents WHERE id = NEW.incident_id);
END;

CREATE TRIGGER public_version_visibility_insert AFTER INSERT ON incident_visibility
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM incidents WHERE id = NEW.incident_id);
END;

CREATE TRIGGER public_version_visibility_update AFTER UPDATE ON incident_visibility
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM incidents WHERE id = NEW.incident_id);
END;

CREATE TRIGGER public_version_visibility_delete AFTER DELETE ON incident_visibility
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM incidents WHERE id = OLD.incident_id);
END;

CREATE TRIGGER public_version_services_insert AFTER INSERT ON incident_services
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM incidents WHERE id = NEW.incident_id);
END;

CREATE TRIGGER public_version_services_update AFTER UPDATE ON incident_services
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM incidents WHERE id = NEW.incident_id);
END;

CREATE TRIGGER public_version_services_delete AFTER DELETE ON incident_services
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM incidents WHERE id = OLD.incident_id);
END;

CREATE TRIGGER public_version_territories_insert AFTER INSERT ON incident_territories
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM incidents WHERE id = NEW.incident_id);
END;

CREATE TRIGGER public_version_territories_update AFTER UPDATE ON incident_territories
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM incidents WHERE id = NEW.incident_id);
END;

CREATE TRIGGER public_version_territories_delete AFTER DELETE ON incident_territories
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM incidents WHERE id = OLD.incident_id);
END;

-- Feeds are written in the server's language and time zone, and sector pages and feeds are named with the
-- server's sector names.
CREATE TRIGGER public_version_settings_insert AFTER INSERT ON guild_settings
BEGIN
    UPDATE public_pages SET version = version + 1 WHERE guild_id = NEW.guild_id;
END;

CREATE TRIGGER public_version_settings_update AFTER UPDATE OF language, time_zone ON guild_settings
BEGIN
    UPDATE public_pages SET version = version + 1 WHERE guild_id IN (OLD.guild_id, NEW.guild_id);
END;

CREATE TRIGGER public_version_settings_delete AFTER DELETE ON guild_settings
BEGIN
    UPDATE public_pages SET version = version + 1 WHERE guild_id = OLD.guild_id;
END;

CREATE TRIGGER public_version_sectors_insert AFTER INSERT ON sectors
BEGIN
    UPDATE public_pages SET version = version + 1 WHERE guild_id = NEW.guild_id;
END;

CREATE TRIGGER public_version_sectors_update AFTER UPDATE ON sectors
BEGIN
    UPDATE public_pages SET version = version + 1 WHERE guild_id IN (OLD.guild_id, NEW.guild_id);
END;

CREATE TRIGGER public_version_sectors_delete AFTER DELETE ON sectors
BEGIN
    UPDATE public_pages SET version = version + 1 WHERE guild_id = OLD.guild_id;
END;
