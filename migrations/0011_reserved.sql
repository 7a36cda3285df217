-- 0011: this number is reserved for a branch built at the same time. This placeholder keeps the numbers
-- contiguous on the webhooks branch only: it is dropped when that branch's 0011 is merged.
SELECT 1;
