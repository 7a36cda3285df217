-- 0008_public: the public status page. A server turns its page on with a short name for its address and chooses
-- whether new incidents are public; each incident's own choice is a row of incident_visibility (no row: the
-- server's default when it was declared was private, so nothing shows until a coordinator says so).

CREATE TABLE public_pages (
    guild_id INTEGER PRIMARY KEY,
    enabled INTEGER NOT NULL DEFAULT 0,
    slug TEXT NOT NULL UNIQUE,        -- the short name in the page's address, lower case letters, digits and '-'
    name TEXT NOT NULL,               -- the server's name, shown as the author of every public update
    default_public INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    updated_by INTEGER
);

CREATE TABLE incident_visibility (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id),
    public INTEGER NOT NULL,
    set_at TEXT NOT NULL,
    set_by INTEGER
);
CREATE INDEX incident_visibility_public ON incident_visibility (public, incident_id);

-- A new incident takes its server's default visibility in the transaction that declares it, so changing the
-- default later never exposes (or hides) incidents declared before.
CREATE TRIGGER incidents_default_visibility AFTER INSERT ON incidents
BEGIN
    INSERT INTO incident_visibility (incident_id, public, set_at, set_by)
    SELECT NEW.id, p.default_public, NEW.declared_at, NULL FROM public_pages p WHERE p.guild_id = NEW.guild_id;
END;
