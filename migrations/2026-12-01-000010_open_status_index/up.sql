-- Only open appeals are ever looked up by their state alone (the pool: 'submitted'; the overdue
-- list: 'dispatched' and 'in_progress'); finished ones are found through their department, their
-- appellant, their deadline or their day. The index of every appeal by state becomes one of the
-- open appeals: smaller, and a bulk load of history (mostly closed appeals) no longer inserts
-- into it for every row.
DROP INDEX appeals_status_created_idx;
CREATE INDEX appeals_open_status_idx ON appeals (status, created_at)
    WHERE status IN ('submitted', 'dispatched', 'in_progress', 'suspended');

-- follow_ups_round_uniq (appeal_id, round) already finds an appeal's answers (two at most).
DROP INDEX follow_ups_appeal_idx;
