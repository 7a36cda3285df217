-- 0011_privacy: a member's "forget me" (bot/privacy). A forgotten member's id is replaced, where the record of an
-- incident must stay (who declared, who posted an update, who did what in the audit log), by a pseudonym: a
-- negative number, the same for all of one member's rows in one server, never the same in two servers.
-- privacy_pseudonyms: each server's last pseudonym number (the next forgotten member gets the next one down).
-- privacy_forgetting: holds a row only inside a forget's own transaction (inserted first, deleted before its
--   commit): while it does, the append-only tables let exactly that rewrite through, an id turned into a
--   pseudonym (and the ids inside their JSON), nothing else. Any other update or delete is refused as before.
CREATE TABLE privacy_pseudonyms (
    guild_id INTEGER PRIMARY KEY,   -- 0 for rows of no server
    last_number INTEGER NOT NULL
);

CREATE TABLE privacy_forgetting (
    guild_id INTEGER NOT NULL
);

DROP TRIGGER audit_log_refuses_update;
CREATE TRIGGER audit_log_refuses_update BEFORE UPDATE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM privacy_forgetting)
     OR old.id IS NOT new.id OR old.guild_id IS NOT new.guild_id OR old.action IS NOT new.action
     OR old.result IS NOT new.result OR old.at IS NOT new.at
     OR (old.actor_id IS NOT new.actor_id AND NOT new.actor_id < 0)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

DROP TRIGGER updates_append_only_update;
CREATE TRIGGER updates_append_only_update BEFORE UPDATE OF incident_id, kind, at, by, silent, details ON updates
WHEN NOT EXISTS (SELECT 1 FROM privacy_forgetting)
     OR old.incident_id IS NOT new.incident_id OR old.kind IS NOT new.kind OR old.at IS NOT new.at
     OR old.silent IS NOT new.silent
     OR (old.by IS NOT new.by AND NOT new.by < 0)
BEGIN
    SELECT RAISE(ABORT, 'updates are append-only');
END;
