-- 0007_digests: daily and weekly digests (issue 13, item 3), each posted in a channel at a time of the server's
-- zone, pinging nobody. The row is its timer's truth: next_due_at is when it is due next (moved off days off when
-- working_days_only), covered_until the end of the period the last one covered (the next covers from there).
CREATE TABLE digests (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    every TEXT NOT NULL CHECK (every IN ('day', 'week')),
    weekday INTEGER,                 -- ISO weekday of a weekly digest (Monday = 1)
    at_time TEXT NOT NULL,           -- "18:00", on the server's wall clock
    working_days_only INTEGER NOT NULL DEFAULT 0,
    when_quiet TEXT NOT NULL DEFAULT 'say' CHECK (when_quiet IN ('say', 'skip')),
    covered_until TEXT NOT NULL,
    next_due_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER
);
CREATE INDEX digests_by_guild ON digests (guild_id);
