-- The foundation: reference data (divisions, departments, categories), staff users,
-- appeals with their assignments, replies, notes and follow-ups, the idempotency ledger
-- and the append-only, hash-chained audit log.

-- 行政区划: a code tree; codes nest by prefix (210300 Anshan › 210302 铁东区 › 210302001 …).
CREATE TABLE divisions (
    code        VARCHAR(15) PRIMARY KEY CHECK (code ~ '^[0-9]{6,15}$'),
    name        VARCHAR(64) NOT NULL CHECK (length(name) > 0),
    parent_code VARCHAR(15) REFERENCES divisions(code),
    -- 1 city, 2 district/county, 3 street/township, 4 community/village, 5 grid
    level       SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 5),
    CHECK (parent_code IS NULL OR parent_code <> code)
);
CREATE INDEX divisions_parent_idx ON divisions (parent_code);

-- 承办单位
CREATE TABLE departments (
    code          VARCHAR(32) PRIMARY KEY CHECK (code ~ '^[a-z0-9_.-]{2,32}$'),
    name          VARCHAR(100) NOT NULL CHECK (length(name) > 0),
    kind          VARCHAR(24) NOT NULL CHECK (kind IN
                    ('hotline_centre', 'city_bureau', 'district_government', 'street_office', 'utility')),
    division_code VARCHAR(15) NOT NULL REFERENCES divisions(code),
    email         VARCHAR(254) CHECK (email IS NULL OR email ~ '^[^@\s]+@[^@\s]+$'),
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX departments_division_idx ON departments (division_code);

-- 问题分类
CREATE TABLE categories (
    code        VARCHAR(32) PRIMARY KEY CHECK (code ~ '^[0-9A-Za-z.]{1,32}$'),
    name        VARCHAR(64) NOT NULL CHECK (length(name) > 0),
    parent_code VARCHAR(32) REFERENCES categories(code),
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    CHECK (parent_code IS NULL OR parent_code <> code)
);
CREATE INDEX categories_parent_idx ON categories (parent_code);

CREATE TABLE users (
    id              UUID PRIMARY KEY,
    username        VARCHAR(64) NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.-]{2,64}$'),
    password_hash   TEXT NOT NULL,
    display_name    VARCHAR(64) NOT NULL,
    role            VARCHAR(16) NOT NULL CHECK (role IN ('clerk', 'dispatcher', 'supervisor', 'admin')),
    department_code VARCHAR(32) REFERENCES departments(code),
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- a clerk always belongs to a department
    CHECK (role <> 'clerk' OR department_code IS NOT NULL)
);
CREATE INDEX users_department_idx ON users (department_code);

-- 诉求
CREATE TABLE appeals (
    id                   UUID PRIMARY KEY,
    tracking_no          VARCHAR(20) NOT NULL UNIQUE CHECK (tracking_no ~ '^AS[0-9]{16}$'),
    access_code_hash     CHAR(64) NOT NULL,
    appellant_kind       VARCHAR(12) NOT NULL CHECK (appellant_kind IN ('citizen', 'enterprise')),
    kind                 VARCHAR(12) NOT NULL CHECK (kind IN ('consultation', 'help', 'complaint', 'report', 'suggestion')),
    channel              VARCHAR(12) NOT NULL CHECK (channel IN ('web', 'hotline', 'app', 'station', 'open311', 'import')),
    title                VARCHAR(100) NOT NULL CHECK (length(btrim(title)) > 0),
    content              VARCHAR(5000) NOT NULL CHECK (length(btrim(content)) > 0),
    category_code        VARCHAR(32) REFERENCES categories(code),
    division_code        VARCHAR(15) NOT NULL REFERENCES divisions(code),
    address              VARCHAR(200),
    latitude             DOUBLE PRECISION CHECK (latitude BETWEEN -90 AND 90),
    longitude            DOUBLE PRECISION CHECK (longitude BETWEEN -180 AND 180),
    name                 VARCHAR(64) NOT NULL CHECK (length(btrim(name)) > 0),
    phone                VARCHAR(20) NOT NULL CHECK (phone ~ '^\+?[0-9-]{5,20}$'),
    email                VARCHAR(254) CHECK (email IS NULL OR email ~ '^[^@\s]+@[^@\s]+$'),
    enterprise_name      VARCHAR(100),
    credit_code          CHAR(18),
    confidential         BOOLEAN NOT NULL DEFAULT FALSE,
    status               VARCHAR(12) NOT NULL CHECK (status IN
                           ('submitted', 'dispatched', 'in_progress', 'suspended', 'resolved', 'closed', 'rejected', 'merged')),
    lead_department_code VARCHAR(32) REFERENCES departments(code),
    deadline_class       VARCHAR(12) CHECK (deadline_class IN ('urgent', 'livelihood', 'same_day', 'week', 'complex')),
    dispatched_at        TIMESTAMPTZ,
    sign_due_at          TIMESTAMPTZ,
    reply_due_at         TIMESTAMPTZ,
    signed_at            TIMESTAMPTZ,
    suspended_at         TIMESTAMPTZ,
    replied_at           TIMESTAMPTZ,
    closed_at            TIMESTAMPTZ,
    supervised           BOOLEAN NOT NULL DEFAULT FALSE,
    reject_disposition   VARCHAR(24) CHECK (reject_disposition IN
                           ('transferred_110', 'transferred_119', 'transferred_120', 'transferred_122',
                            'legal_channel', 'duplicate_in_progress', 'out_of_scope', 'malicious')),
    merged_into          UUID REFERENCES appeals(id),
    return_count         INTEGER NOT NULL DEFAULT 0 CHECK (return_count >= 0),
    rehandle_count       INTEGER NOT NULL DEFAULT 0 CHECK (rehandle_count >= 0),
    -- bumped by every change; clients may send it back as If-Match
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    -- an enterprise names itself and carries its 统一社会信用代码
    CHECK (appellant_kind <> 'enterprise' OR (enterprise_name IS NOT NULL AND credit_code IS NOT NULL)),
    CHECK (credit_code IS NULL OR credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    -- coordinates come in pairs
    CHECK ((latitude IS NULL) = (longitude IS NULL)),
    -- state-dependent facts the lifecycle guarantees
    CHECK (status IN ('submitted', 'rejected', 'merged') OR lead_department_code IS NOT NULL),
    CHECK (status <> 'merged' OR merged_into IS NOT NULL),
    CHECK (merged_into IS NULL OR merged_into <> id),
    CHECK (status <> 'rejected' OR reject_disposition IS NOT NULL)
);
-- the pool: submitted appeals, oldest first
CREATE INDEX appeals_status_created_idx ON appeals (status, created_at);
-- a department's queue through its lead assignment
CREATE INDEX appeals_lead_status_idx ON appeals (lead_department_code, status, created_at);
CREATE INDEX appeals_merged_into_idx ON appeals (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX appeals_category_idx ON appeals (category_code);
CREATE INDEX appeals_division_idx ON appeals (division_code);

-- 主办 / 协办: who handles an appeal, since when, decided by whom or by which rule.
CREATE TABLE assignments (
    id              BIGSERIAL PRIMARY KEY,
    appeal_id       UUID NOT NULL REFERENCES appeals(id),
    department_code VARCHAR(32) NOT NULL REFERENCES departments(code),
    role            VARCHAR(8) NOT NULL CHECK (role IN ('lead', 'co')),
    assigned_by     UUID REFERENCES users(id),
    rule_id         BIGINT,
    rule_version    INTEGER,
    assigned_at     TIMESTAMPTZ NOT NULL,
    signed_at       TIMESTAMPTZ,
    signed_by       UUID REFERENCES users(id),
    -- set when the department returns the appeal or the appeal is re-dispatched
    ended_at        TIMESTAMPTZ,
    CHECK (assigned_by IS NOT NULL OR rule_id IS NOT NULL),
    CHECK (ended_at IS NULL OR ended_at >= assigned_at)
);
-- one live assignment per appeal and department, and one live lead per appeal
CREATE UNIQUE INDEX assignments_live_dept_uniq ON assignments (appeal_id, department_code) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX assignments_live_lead_uniq ON assignments (appeal_id) WHERE ended_at IS NULL AND role = 'lead';
-- a department's queue (lead and co-handled alike)
CREATE INDEX assignments_live_department_idx ON assignments (department_code, appeal_id) WHERE ended_at IS NULL;
CREATE INDEX assignments_appeal_idx ON assignments (appeal_id);

-- 答复: a department's public answer
CREATE TABLE replies (
    id              BIGSERIAL PRIMARY KEY,
    appeal_id       UUID NOT NULL REFERENCES appeals(id),
    department_code VARCHAR(32) NOT NULL REFERENCES departments(code),
    author_id       UUID NOT NULL REFERENCES users(id),
    content         VARCHAR(5000) NOT NULL CHECK (length(btrim(content)) > 0),
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX replies_appeal_idx ON replies (appeal_id, created_at);

-- 备注: public notes are shown to the appellant, internal ones never
CREATE TABLE notes (
    id          BIGSERIAL PRIMARY KEY,
    appeal_id   UUID NOT NULL REFERENCES appeals(id),
    author_id   UUID NOT NULL REFERENCES users(id),
    visibility  VARCHAR(8) NOT NULL CHECK (visibility IN ('public', 'internal')),
    content     VARCHAR(2000) NOT NULL CHECK (length(btrim(content)) > 0),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX notes_appeal_idx ON notes (appeal_id, created_at);

-- 回访
CREATE TABLE follow_ups (
    id           BIGSERIAL PRIMARY KEY,
    appeal_id    UUID NOT NULL REFERENCES appeals(id),
    source       VARCHAR(10) NOT NULL CHECK (source IN ('staff', 'appellant')),
    recorded_by  UUID REFERENCES users(id),
    contacted    BOOLEAN NOT NULL,
    solved       BOOLEAN NOT NULL,
    satisfaction VARCHAR(20) NOT NULL CHECK (satisfaction IN
                   ('very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied')),
    comment      VARCHAR(2000),
    created_at   TIMESTAMPTZ NOT NULL,
    CHECK (source <> 'staff' OR recorded_by IS NOT NULL)
);
CREATE INDEX follow_ups_appeal_idx ON follow_ups (appeal_id, created_at);

-- Idempotency-Key ledger for intake: the first answer, minus the access code (which is
-- re-derived, never stored in clear).
CREATE TABLE idempotency_keys (
    key          VARCHAR(128) PRIMARY KEY CHECK (length(key) > 0),
    request_hash CHAR(64) NOT NULL,
    appeal_id    UUID NOT NULL REFERENCES appeals(id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- The audit log: one row per change, chained per appeal by SHA-256 of the previous row.
CREATE TABLE audit_events (
    id          BIGSERIAL PRIMARY KEY,
    appeal_id   UUID NOT NULL REFERENCES appeals(id),
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    actor_id    UUID REFERENCES users(id),
    actor_role  VARCHAR(16) NOT NULL CHECK (actor_role IN
                  ('resident', 'system', 'clerk', 'dispatcher', 'supervisor', 'admin')),
    action      VARCHAR(24) NOT NULL,
    from_status VARCHAR(12),
    to_status   VARCHAR(12),
    details     JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at  TIMESTAMPTZ NOT NULL,
    prev_hash   CHAR(64),
    hash        CHAR(64) NOT NULL,
    UNIQUE (appeal_id, seq),
    CHECK ((seq = 1) = (prev_hash IS NULL))
);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_events_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
