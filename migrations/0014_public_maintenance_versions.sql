-- 0014_public_maintenance_versions: the public pages and the JSON API show public planned maintenance
-- (0010_maintenance): any change to a maintenance, its services or its territories moves its server's page
-- version (0013_public_versions) in the same transaction, so what bot/web/cache.py keeps is rendered again.

CREATE TRIGGER public_version_maintenance_insert AFTER INSERT ON maintenance
BEGIN
    UPDATE public_pages SET version = version + 1 WHERE guild_id = NEW.guild_id;
END;

CREATE TRIGGER public_version_maintenance_update AFTER UPDATE ON maintenance
BEGIN
    UPDATE public_pages SET version = version + 1 WHERE guild_id IN (OLD.guild_id, NEW.guild_id);
END;

CREATE TRIGGER public_version_maintenance_delete AFTER DELETE ON maintenance
BEGIN
    UPDATE public_pages SET version = version + 1 WHERE guild_id = OLD.guild_id;
END;

CREATE TRIGGER public_version_maintenance_service_insert AFTER INSERT ON maintenance_services
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM maintenance WHERE id = NEW.maintenance_id);
END;

CREATE TRIGGER public_version_maintenance_service_update AFTER UPDATE ON maintenance_services
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM maintenance WHERE id = NEW.maintenance_id);
END;

CREATE TRIGGER public_version_maintenance_service_delete AFTER DELETE ON maintenance_services
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM maintenance WHERE id = OLD.maintenance_id);
END;

CREATE TRIGGER public_version_maintenance_territory_insert AFTER INSERT ON maintenance_territories
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM maintenance WHERE id = NEW.maintenance_id);
END;

CREATE TRIGGER public_version_maintenance_territory_delete AFTER DELETE ON maintenance_territories
BEGIN
    UPDATE public_pages SET version = version + 1
    WHERE guild_id = (SELECT guild_id FROM maintenance WHERE id = OLD.maintenance_id);
END;
