-- 0005_reports: a stand-in on the board branch. The reports feature (its own branch) adds the real 0005; when
-- the branches meet, its file replaces this one. Numbers must run without gap, so the board's tables are 0006.
SELECT 1;
