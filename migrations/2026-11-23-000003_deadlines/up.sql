-- Deadlines on a working calendar, suspensions, extensions, deadline alarms, the e-mail outbox
-- and the audit log of administrative changes.

-- The working calendar (one row): time zone, working hours, working weekdays. `version` is bumped
-- by every calendar change in the same transaction; each instance reloads when it moved.
CREATE TABLE calendar_settings (
    singleton        BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    time_zone        VARCHAR(64) NOT NULL CHECK (length(time_zone) > 0),
    -- [{"start": "08:30", "end": "12:00"}, ...], validated by the application
    working_hours    JSONB NOT NULL CHECK (jsonb_typeof(working_hours) = 'array' AND jsonb_array_length(working_hours) > 0),
    -- ISO weekdays, 1 = Monday … 7 = Sunday
    working_weekdays SMALLINT[] NOT NULL CHECK (cardinality(working_weekdays) > 0 AND working_weekdays <@ ARRAY[1,2,3,4,5,6,7]::SMALLINT[]),
    version          BIGINT NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by       UUID REFERENCES users(id)
);
INSERT INTO calendar_settings (singleton, time_zone, working_hours, working_weekdays, version)
VALUES (TRUE, 'Asia/Shanghai',
        '[{"start": "08:30", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]'::jsonb,
        ARRAY[1,2,3,4,5]::SMALLINT[], 0);

-- Public holidays and make-up working days (调休), overriding the weekday pattern.
CREATE TABLE calendar_days (
    day        DATE PRIMARY KEY,
    kind       VARCHAR(8) NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name       VARCHAR(64) NOT NULL CHECK (length(btrim(name)) > 0),
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by UUID REFERENCES users(id)
);

-- Administrative changes (calendar, …): one hash chain, append-only like audit_events.
CREATE TABLE admin_events (
    id         BIGSERIAL PRIMARY KEY,
    seq        BIGINT NOT NULL UNIQUE CHECK (seq >= 1),
    actor_id   UUID REFERENCES users(id),
    actor_role VARCHAR(16) NOT NULL,
    subject    VARCHAR(24) NOT NULL,
    action     VARCHAR(32) NOT NULL,
    details    JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ NOT NULL,
    prev_hash  CHAR(64),
    hash       CHAR(64) NOT NULL,
    CHECK ((seq = 1) = (prev_hash IS NULL))
);
CREATE TRIGGER admin_events_no_update_delete
    BEFORE UPDATE OR DELETE ON admin_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER admin_events_no_truncate
    BEFORE TRUNCATE ON admin_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

ALTER TABLE appeals
    -- the pool's clock: since the appeal entered the pool (intake or the last return)
    ADD COLUMN pooled_at        TIMESTAMPTZ,
    ADD COLUMN dispatch_due_at  TIMESTAMPTZ,
    -- 80% of the allowed time, per clock
    ADD COLUMN dispatch_warn_at TIMESTAMPTZ,
    ADD COLUMN sign_warn_at     TIMESTAMPTZ,
    ADD COLUMN reply_warn_at    TIMESTAMPTZ,
    -- how far each clock's alarms went for its current due instant:
    -- 0 none, 1 warning, 2 overdue (催办), 3 escalated (督办); reset when the due instant moves
    ADD COLUMN dispatch_stage   SMALLINT NOT NULL DEFAULT 0 CHECK (dispatch_stage BETWEEN 0 AND 3),
    ADD COLUMN sign_stage       SMALLINT NOT NULL DEFAULT 0 CHECK (sign_stage BETWEEN 0 AND 3),
    ADD COLUMN reply_stage      SMALLINT NOT NULL DEFAULT 0 CHECK (reply_stage BETWEEN 0 AND 3),
    -- the earliest instant the scanner has something to raise; NULL when no clock runs
    ADD COLUMN next_alarm_at    TIMESTAMPTZ,
    -- reporting hooks
    ADD COLUMN signed_on_time   BOOLEAN,
    ADD COLUMN replied_on_time  BOOLEAN,
    ADD COLUMN handling_working_minutes INTEGER CHECK (handling_working_minutes >= 0);
-- the scanner reads only what is due
CREATE INDEX appeals_next_alarm_idx ON appeals (next_alarm_at) WHERE next_alarm_at IS NOT NULL;
UPDATE appeals SET pooled_at = created_at WHERE status = 'submitted';

-- 挂起 intervals: the clock stops while one is open.
CREATE TABLE suspensions (
    id         BIGSERIAL PRIMARY KEY,
    appeal_id  UUID NOT NULL REFERENCES appeals(id),
    started_at TIMESTAMPTZ NOT NULL,
    ended_at   TIMESTAMPTZ,
    reason     VARCHAR(500) NOT NULL,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE UNIQUE INDEX suspensions_open_uniq ON suspensions (appeal_id) WHERE ended_at IS NULL;
CREATE INDEX suspensions_appeal_idx ON suspensions (appeal_id, started_at);

-- What the scanner raised: once per appeal, clock, due instant and stage.
CREATE TABLE deadline_alarms (
    id              BIGSERIAL PRIMARY KEY,
    appeal_id       UUID NOT NULL REFERENCES appeals(id),
    clock           VARCHAR(8) NOT NULL CHECK (clock IN ('dispatch', 'sign', 'reply')),
    due_at          TIMESTAMPTZ NOT NULL,
    stage           VARCHAR(10) NOT NULL CHECK (stage IN ('warning', 'overdue', 'escalated')),
    -- the department pressed (NULL for the pool's clock)
    department_code VARCHAR(32) REFERENCES departments(code),
    -- the instant the scan ran as of
    raised_at       TIMESTAMPTZ NOT NULL,
    -- false when a later stage of the same clock was raised in the same scan
    notified        BOOLEAN NOT NULL,
    UNIQUE (appeal_id, clock, due_at, stage)
);
CREATE INDEX deadline_alarms_department_idx ON deadline_alarms (department_code, stage, raised_at);

-- 延期
CREATE TABLE extensions (
    id              BIGSERIAL PRIMARY KEY,
    appeal_id       UUID NOT NULL REFERENCES appeals(id),
    department_code VARCHAR(32) NOT NULL REFERENCES departments(code),
    requested_by    UUID NOT NULL REFERENCES users(id),
    reason          VARCHAR(500) NOT NULL CHECK (length(btrim(reason)) > 0),
    previous_due_at TIMESTAMPTZ NOT NULL,
    requested_until TIMESTAMPTZ NOT NULL CHECK (requested_until > previous_due_at),
    -- void: the appeal moved on (replied, returned, merged) before a decision
    status          VARCHAR(10) NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'void')),
    decided_by      UUID REFERENCES users(id),
    decided_at      TIMESTAMPTZ,
    decision_note   VARCHAR(500),
    created_at      TIMESTAMPTZ NOT NULL,
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX extensions_pending_uniq ON extensions (appeal_id) WHERE status = 'pending';
CREATE INDEX extensions_appeal_idx ON extensions (appeal_id, created_at);
CREATE INDEX extensions_pending_idx ON extensions (created_at) WHERE status = 'pending';

-- Staff e-mail (supervisors receive escalations).
ALTER TABLE users ADD COLUMN email VARCHAR(254) CHECK (email IS NULL OR email ~ '^[^@\s]+@[^@\s]+$');

-- The e-mail outbox: written in the transaction that caused the message; a sender delivers it.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    kind            VARCHAR(24) NOT NULL,
    recipient       VARCHAR(254) NOT NULL CHECK (recipient ~ '^[^@\s]+@[^@\s]+$'),
    subject         VARCHAR(300) NOT NULL,
    body            TEXT NOT NULL,
    appeal_id       UUID REFERENCES appeals(id),
    created_at      TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_attempt_at TIMESTAMPTZ,
    last_error      VARCHAR(1000),
    sent_at         TIMESTAMPTZ
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX outbox_appeal_idx ON outbox (appeal_id) WHERE appeal_id IS NOT NULL;
