DROP TABLE outbox;
ALTER TABLE users DROP COLUMN email;
DROP TABLE extensions;
DROP TABLE deadline_alarms;
DROP TABLE suspensions;
DROP INDEX appeals_next_alarm_idx;
ALTER TABLE appeals
    DROP COLUMN pooled_at, DROP COLUMN dispatch_due_at, DROP COLUMN dispatch_warn_at,
    DROP COLUMN sign_warn_at, DROP COLUMN reply_warn_at, DROP COLUMN dispatch_stage,
    DROP COLUMN sign_stage, DROP COLUMN reply_stage, DROP COLUMN next_alarm_at,
    DROP COLUMN signed_on_time, DROP COLUMN replied_on_time, DROP COLUMN handling_working_minutes;
DROP TABLE admin_events;
DROP TABLE calendar_days;
DROP TABLE calendar_settings;
