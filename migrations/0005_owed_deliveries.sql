-- 0005_owed_deliveries: one failed step of a fan-out no longer cancels what does not need it.
-- outbox.owed_since: the row failed for a cause that may be fixed (a permission missing, Discord unreachable), or
--   needs such a row; it is kept, and put back in its lane when the cause may be fixed (a permission changed on
--   Discord, the server's next declaration or update, the periodic retry, /setup check). Cleared once delivered.
-- outbox.cause_row: the row whose failure this one, not attempted, failed or waits with.
-- outbox.after_row: a row this one is only ordered after (delivered, or failed for good, first).
-- outbox_redo: rows delivered while another was missing (a link that stood in for it, a private reply that said
--   "not yet"): each is delivered again, as an edit, once that row is delivered.
ALTER TABLE outbox ADD COLUMN owed_since TEXT;
ALTER TABLE outbox ADD COLUMN cause_row INTEGER REFERENCES outbox (id);
ALTER TABLE outbox ADD COLUMN after_row INTEGER REFERENCES outbox (id);
CREATE INDEX outbox_owed ON outbox (guild_id) WHERE status = 'failed' AND owed_since IS NOT NULL;

CREATE TABLE outbox_redo (
    missing_row INTEGER NOT NULL REFERENCES outbox (id),
    row_id INTEGER NOT NULL REFERENCES outbox (id),
    PRIMARY KEY (missing_row, row_id)
);
