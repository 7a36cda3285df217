-- 0010: this number is reserved for a branch built at the same time (planned maintenance). This placeholder keeps
-- the numbers contiguous on the webhooks branch only: it is dropped when that branch's 0010 is merged.
SELECT 1;
