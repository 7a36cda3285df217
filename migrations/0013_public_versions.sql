-- 0013_public_versions: a version per public page, moved in the very transaction of any change to what the
-- server's public pages show, so that pages rendered once can be kept until that version moves (bot/web/cache.py).
-- Servers without a page pay one indexed update that changes nothing. A table read by a public page, feed or API
-- added later gets its triggers here too.

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
