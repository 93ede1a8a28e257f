-- Routing (派单目录 as data), pool reasons, returns, co-handling reports and auto-assignment.

-- How pressing an appeal is (set by the operator or a routing rule).
ALTER TABLE appeals
    ADD COLUMN urgency VARCHAR(8) NOT NULL DEFAULT 'normal' CHECK (urgency IN ('normal', 'urgent')),
    -- why a submitted appeal is in the pool, for the dispatchers
    ADD COLUMN pool_reason VARCHAR(16) CHECK (pool_reason IN ('no_rule', 'held_by_rule', 'returned')),
    ADD COLUMN pool_detail VARCHAR(600),
    -- the department that last returned it (a re-dispatch there needs a note)
    ADD COLUMN returned_by VARCHAR(32) REFERENCES departments(code);

-- Rules are versioned: an edit inserts a new version; old versions stay readable. Assignments
-- record (rule_id, rule_version), so an edit never changes where existing appeals went.
CREATE SEQUENCE routing_rule_ids;
CREATE TABLE routing_rules (
    id                BIGINT NOT NULL,
    version           INTEGER NOT NULL CHECK (version >= 1),
    name              VARCHAR(100) NOT NULL CHECK (length(btrim(name)) > 0),
    priority          INTEGER NOT NULL,
    enabled           BOOLEAN NOT NULL,
    continue_matching BOOLEAN NOT NULL,
    conditions        JSONB NOT NULL CHECK (jsonb_typeof(conditions) = 'object'),
    action            JSONB NOT NULL CHECK (jsonb_typeof(action) = 'object'),
    -- the latest version of this rule
    is_current        BOOLEAN NOT NULL,
    created_by        UUID REFERENCES users(id),
    created_at        TIMESTAMPTZ NOT NULL,
    note              VARCHAR(500),
    PRIMARY KEY (id, version)
);
CREATE UNIQUE INDEX routing_rules_current_idx ON routing_rules (id) WHERE is_current;
CREATE INDEX routing_rules_order_idx ON routing_rules (priority, id) WHERE is_current;

-- One row: bumped by every rule change in the same transaction; each instance compares it with
-- the version of its compiled table and recompiles when it moved.
CREATE TABLE routing_state (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    version   BIGINT NOT NULL
);
INSERT INTO routing_state (singleton, version) VALUES (TRUE, 0);

ALTER TABLE assignments
    ADD COLUMN assignee_id UUID REFERENCES users(id),
    -- a co-handler's input reached the lead (吹哨报到: 报到)
    ADD COLUMN reported_at TIMESTAMPTZ,
    ADD COLUMN end_reason VARCHAR(12) CHECK (end_reason IN ('returned', 'merged')),
    ADD CONSTRAINT assignments_end_reason_check2 CHECK ((end_reason IS NULL) OR (ended_at IS NOT NULL));
-- a clerk's open work, for least-loaded auto-assignment
CREATE INDEX assignments_live_assignee_idx ON assignments (assignee_id) WHERE ended_at IS NULL;
-- return counts per department
CREATE INDEX assignments_returned_idx ON assignments (department_code) WHERE end_reason = 'returned';

-- Which department a note came from (co-handlers report to the lead through notes).
ALTER TABLE notes ADD COLUMN department_code VARCHAR(32) REFERENCES departments(code);

-- Auto-assignment inside a department, and clerks marked absent.
ALTER TABLE departments ADD COLUMN auto_assign BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN absent BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX users_department_role_idx ON users (department_code, role) WHERE active;

-- the last N appeals (testing a draft rule against recent traffic)
CREATE INDEX appeals_created_idx ON appeals (created_at);

-- District-level bureaus (区城市管理局 …), which routing rules name by district.
ALTER TABLE departments DROP CONSTRAINT departments_kind_check,
    ADD CONSTRAINT departments_kind_check CHECK (kind IN
        ('hotline_centre', 'city_bureau', 'district_bureau', 'district_government', 'street_office', 'utility'));
