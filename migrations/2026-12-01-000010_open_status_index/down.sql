CREATE INDEX follow_ups_appeal_idx ON follow_ups (appeal_id, created_at);
DROP INDEX appeals_open_status_idx;
CREATE INDEX appeals_status_created_idx ON appeals (status, created_at);
