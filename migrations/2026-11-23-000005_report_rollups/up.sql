-- Reports from rollups (issue 6).
--
-- Every appeal contributes to the report figures through a function of its own row alone
-- (`report_rows`). Triggers on `appeals` write the difference a change makes (the new row's
-- contribution minus the old row's) into `report_delta`, an insert-only log that concurrent
-- writers never contend on; `report_fold()` moves the log into `report_cube`, sums per local day
-- and per group ("cuboids"), folding every few seconds inside `minxin serve`. A report reads the
-- cube plus whatever is still in the log, so it is exact the moment a change commits.
-- docs/METRICS.md explains the design; the naive query in src/db/reports.rs is the reference.

-- 1. What the figures need, on the appeal row itself --------------------------------------------

ALTER TABLE appeals
    -- a repeat is held against the department whose closure it doubts
    ADD COLUMN repeat_department_code VARCHAR(32),
    -- the answers of the first and of the latest follow-up round (kept by a trigger on follow_ups)
    ADD COLUMN first_contacted        BOOLEAN,
    ADD COLUMN first_solved           BOOLEAN,
    ADD COLUMN first_satisfaction     VARCHAR(20),
    ADD COLUMN latest_contacted       BOOLEAN,
    ADD COLUMN latest_solved          BOOLEAN,
    ADD COLUMN latest_satisfaction    VARCHAR(20);

CREATE FUNCTION appeals_repeat_department() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.repeat_department_code :=
        (SELECT c.lead_department_code FROM appeals c WHERE c.id = NEW.repeat_of);
    RETURN NEW;
END $$;
CREATE TRIGGER appeals_repeat_department_ins BEFORE INSERT ON appeals
    FOR EACH ROW WHEN (NEW.repeat_of IS NOT NULL) EXECUTE FUNCTION appeals_repeat_department();
CREATE TRIGGER appeals_repeat_department_upd BEFORE UPDATE OF repeat_of ON appeals
    FOR EACH ROW WHEN (NEW.repeat_of IS DISTINCT FROM OLD.repeat_of)
    EXECUTE FUNCTION appeals_repeat_department();

-- the answers of the first and the latest round of the given appeals, copied onto them
CREATE FUNCTION sync_follow_up_answers(ids UUID[]) RETURNS void LANGUAGE sql AS $$
    UPDATE appeals a SET
        first_contacted = s.fc, first_solved = s.fs, first_satisfaction = s.fsat,
        latest_contacted = s.lc, latest_solved = s.ls, latest_satisfaction = s.lsat
    FROM (
        SELECT x.id, f1.contacted AS fc, f1.solved AS fs, f1.satisfaction AS fsat,
               fl.contacted AS lc, fl.solved AS ls, fl.satisfaction AS lsat
        FROM (SELECT DISTINCT unnest(ids) AS id) x
        LEFT JOIN LATERAL (SELECT f.contacted, f.solved, f.satisfaction FROM follow_ups f
                           WHERE f.appeal_id = x.id ORDER BY f.round ASC LIMIT 1) f1 ON TRUE
        LEFT JOIN LATERAL (SELECT f.contacted, f.solved, f.satisfaction FROM follow_ups f
                           WHERE f.appeal_id = x.id ORDER BY f.round DESC LIMIT 1) fl ON TRUE
    ) s
    WHERE a.id = s.id
      AND (a.first_contacted, a.first_solved, a.first_satisfaction,
           a.latest_contacted, a.latest_solved, a.latest_satisfaction)
          IS DISTINCT FROM (s.fc, s.fs, s.fsat, s.lc, s.ls, s.lsat)
$$;

CREATE FUNCTION follow_ups_sync_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_follow_up_answers(ARRAY(SELECT appeal_id FROM new_rows));
    RETURN NULL;
END $$;
CREATE TRIGGER follow_ups_sync_ins AFTER INSERT ON follow_ups
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION follow_ups_sync_ins();

CREATE FUNCTION follow_ups_sync_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM sync_follow_up_answers(ARRAY[OLD.appeal_id]);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        PERFORM sync_follow_up_answers(ARRAY[NEW.appeal_id]);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER follow_ups_sync_row AFTER UPDATE OR DELETE ON follow_ups
    FOR EACH ROW EXECUTE FUNCTION follow_ups_sync_row();

-- existing answers
SELECT sync_follow_up_answers(ARRAY(SELECT DISTINCT appeal_id FROM follow_ups));
UPDATE appeals a SET repeat_department_code = c.lead_department_code
FROM appeals c WHERE c.id = a.repeat_of;

-- 2. An appeal's contribution --------------------------------------------------------------------

-- Which time zone the cube's days are in (the working calendar's when it was built).
CREATE TABLE report_meta (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    time_zone VARCHAR(64) NOT NULL,
    built_at  TIMESTAMPTZ NOT NULL
);
INSERT INTO report_meta (time_zone, built_at)
SELECT time_zone, now() FROM calendar_settings;

-- The keys and counts of one contribution. Keys never hold NULL: '' stands for "none".
CREATE TYPE report_row AS (
    day                   DATE,
    department_code       TEXT,
    district_code         TEXT,
    street_code           TEXT,
    category_code         TEXT,
    channel               TEXT,
    appellant_kind        TEXT,
    received              INTEGER,
    dispatched            INTEGER,
    resolved              INTEGER,
    signed                INTEGER,
    signed_on_time        INTEGER,
    replied               INTEGER,
    replied_on_time       INTEGER,
    overdue_open          INTEGER,
    returned              INTEGER,
    rehandled             INTEGER,
    followed_up           INTEGER,
    handling_minutes      BIGINT,
    unrated               INTEGER,
    repeats               INTEGER,
    contacted_latest      INTEGER,
    solved_latest         INTEGER,
    very_satisfied_latest INTEGER,
    satisfied_latest      INTEGER,
    basically_latest      INTEGER,
    contacted_first       INTEGER,
    solved_first          INTEGER,
    very_satisfied_first  INTEGER,
    satisfied_first       INTEGER,
    basically_first       INTEGER
);

-- The columns of an appeal that its contribution depends on (and nothing else).
CREATE TYPE report_input AS (
    created_at               TIMESTAMPTZ,
    status                   TEXT,
    lead_department_code     TEXT,
    division_code            TEXT,
    category_code            TEXT,
    channel                  TEXT,
    appellant_kind           TEXT,
    dispatched_at            TIMESTAMPTZ,
    signed_on_time           BOOLEAN,
    replied_on_time          BOOLEAN,
    sign_stage               SMALLINT,
    reply_stage              SMALLINT,
    return_count             INTEGER,
    rehandle_count           INTEGER,
    handling_working_minutes INTEGER,
    closed_unrated           BOOLEAN,
    repeat_of                UUID,
    repeat_department_code   TEXT,
    first_contacted          BOOLEAN,
    first_solved             BOOLEAN,
    first_satisfaction       TEXT,
    latest_contacted         BOOLEAN,
    latest_solved            BOOLEAN,
    latest_satisfaction      TEXT
);

-- What one appeal row adds to the reports (docs/METRICS.md): nothing when merged; otherwise one
-- row under its own keys, and for a repeat one more row counting the repeat against the
-- department of the doubted closure.
CREATE FUNCTION report_rows(a report_input, tz TEXT) RETURNS SETOF report_row
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (a.created_at AT TIME ZONE tz)::date,
        k.department_code,
        left(a.division_code, 6),
        CASE WHEN length(a.division_code) >= 9 THEN left(a.division_code, 9) ELSE '' END,
        coalesce(a.category_code, ''), a.channel, a.appellant_kind,
        c.*
    FROM (VALUES (coalesce(a.lead_department_code, ''), FALSE),
                 (coalesce(a.repeat_department_code, ''), TRUE)) AS k(department_code, is_repeat),
    LATERAL (SELECT
        CASE WHEN k.is_repeat THEN 0 ELSE 1 END,
        (NOT k.is_repeat AND a.dispatched_at IS NOT NULL)::int,
        (NOT k.is_repeat AND a.dispatched_at IS NOT NULL AND a.status IN ('resolved', 'closed'))::int,
        (NOT k.is_repeat AND a.signed_on_time IS NOT NULL)::int,
        (NOT k.is_repeat AND coalesce(a.signed_on_time, FALSE))::int,
        (NOT k.is_repeat AND a.replied_on_time IS NOT NULL)::int,
        (NOT k.is_repeat AND coalesce(a.replied_on_time, FALSE))::int,
        (NOT k.is_repeat AND (
            (a.status = 'dispatched' AND GREATEST(a.sign_stage, a.reply_stage) >= 2)
            OR (a.status IN ('in_progress', 'suspended') AND a.reply_stage >= 2)))::int,
        (NOT k.is_repeat AND a.return_count > 0)::int,
        (NOT k.is_repeat AND a.rehandle_count > 0)::int,
        (NOT k.is_repeat AND a.latest_contacted IS NOT NULL)::int,
        CASE WHEN NOT k.is_repeat AND a.replied_on_time IS NOT NULL
             THEN coalesce(a.handling_working_minutes, 0)::bigint ELSE 0 END,
        (NOT k.is_repeat AND a.closed_unrated)::int,
        CASE WHEN k.is_repeat THEN 1 ELSE 0 END,
        (NOT k.is_repeat AND coalesce(a.latest_contacted, FALSE))::int,
        (NOT k.is_repeat AND coalesce(a.latest_solved, FALSE))::int,
        (NOT k.is_repeat AND a.latest_satisfaction IS NOT DISTINCT FROM 'very_satisfied')::int,
        (NOT k.is_repeat AND a.latest_satisfaction IS NOT DISTINCT FROM 'satisfied')::int,
        (NOT k.is_repeat AND a.latest_satisfaction IS NOT DISTINCT FROM 'basically_satisfied')::int,
        (NOT k.is_repeat AND coalesce(a.first_contacted, FALSE))::int,
        (NOT k.is_repeat AND coalesce(a.first_solved, FALSE))::int,
        (NOT k.is_repeat AND a.first_satisfaction IS NOT DISTINCT FROM 'very_satisfied')::int,
        (NOT k.is_repeat AND a.first_satisfaction IS NOT DISTINCT FROM 'satisfied')::int,
        (NOT k.is_repeat AND a.first_satisfaction IS NOT DISTINCT FROM 'basically_satisfied')::int
    ) c
    WHERE a.status <> 'merged' AND (NOT k.is_repeat OR a.repeat_of IS NOT NULL)
$$;

-- 3. The log and the cube -------------------------------------------------------------------

-- Differences not yet folded into the cube: +1 rows for what a change added, -1 for what it took.
CREATE TABLE report_delta (
    id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sign SMALLINT NOT NULL CHECK (sign IN (-1, 1)),
    r    report_row NOT NULL
);

-- Sums per local day and group. `cuboid` says which keys a row keeps (a bit per key:
-- 1 department, 2 district, 4 street, 8 category, 16 channel, 32 appellant kind); the keys it
-- drops are ''. Kept: every single key, none (0), category x district (10), category x street
-- (12), and all keys (63), from which any other pair is summed. Each also per month, as cuboid
-- + 64 under the month's first day, for the whole months of a long period.
CREATE TABLE report_cube (
    cuboid                SMALLINT NOT NULL,
    day                   DATE NOT NULL,
    department_code       TEXT NOT NULL,
    district_code         TEXT NOT NULL,
    street_code           TEXT NOT NULL,
    category_code         TEXT NOT NULL,
    channel               TEXT NOT NULL,
    appellant_kind        TEXT NOT NULL,
    received              INTEGER NOT NULL,
    dispatched            INTEGER NOT NULL,
    resolved              INTEGER NOT NULL,
    signed                INTEGER NOT NULL,
    signed_on_time        INTEGER NOT NULL,
    replied               INTEGER NOT NULL,
    replied_on_time       INTEGER NOT NULL,
    overdue_open          INTEGER NOT NULL,
    returned              INTEGER NOT NULL,
    rehandled             INTEGER NOT NULL,
    followed_up           INTEGER NOT NULL,
    handling_minutes      BIGINT NOT NULL,
    unrated               INTEGER NOT NULL,
    repeats               INTEGER NOT NULL,
    contacted_latest      INTEGER NOT NULL,
    solved_latest         INTEGER NOT NULL,
    very_satisfied_latest INTEGER NOT NULL,
    satisfied_latest      INTEGER NOT NULL,
    basically_latest      INTEGER NOT NULL,
    contacted_first       INTEGER NOT NULL,
    solved_first          INTEGER NOT NULL,
    very_satisfied_first  INTEGER NOT NULL,
    satisfied_first       INTEGER NOT NULL,
    basically_first       INTEGER NOT NULL,
    PRIMARY KEY (cuboid, day, department_code, district_code, street_code, category_code,
                 channel, appellant_kind)
);

CREATE TABLE report_cuboids (mask SMALLINT PRIMARY KEY);
INSERT INTO report_cuboids VALUES (0), (1), (2), (4), (8), (16), (32), (10), (12), (63);

-- 4. Triggers: every change of an appeal's contribution goes into the log ------------------------

CREATE FUNCTION report_delta_ins() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz TEXT := (SELECT time_zone FROM report_meta);
BEGIN
    IF current_setting('minxin.report_deltas', TRUE) = 'off' THEN
        RETURN NULL; -- a bulk load, which refreshes the cube itself (report_refresh)
    END IF;
    INSERT INTO report_delta (sign, r)
    SELECT 1, x FROM new_rows n, report_rows(ROW(n.created_at, n.status, n.lead_department_code, n.division_code, n.category_code, n.channel, n.appellant_kind, n.dispatched_at, n.signed_on_time, n.replied_on_time, n.sign_stage, n.reply_stage, n.return_count, n.rehandle_count, n.handling_working_minutes, n.closed_unrated, n.repeat_of, n.repeat_department_code, n.first_contacted, n.first_solved, n.first_satisfaction, n.latest_contacted, n.latest_solved, n.latest_satisfaction)::report_input, tz) x;
    RETURN NULL;
END $$;
CREATE TRIGGER appeals_report_ins AFTER INSERT ON appeals
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_delta_ins();

-- An update that changes none of the columns report_rows reads adds nothing.
CREATE FUNCTION report_delta_upd() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz TEXT := (SELECT time_zone FROM report_meta);
BEGIN
    IF current_setting('minxin.report_deltas', TRUE) = 'off' THEN
        RETURN NULL; -- a bulk load, which refreshes the cube itself (report_refresh)
    END IF;
    WITH changed AS (
        SELECT ROW(o.created_at, o.status, o.lead_department_code, o.division_code, o.category_code, o.channel, o.appellant_kind, o.dispatched_at, o.signed_on_time, o.replied_on_time, o.sign_stage, o.reply_stage, o.return_count, o.rehandle_count, o.handling_working_minutes, o.closed_unrated, o.repeat_of, o.repeat_department_code, o.first_contacted, o.first_solved, o.first_satisfaction, o.latest_contacted, o.latest_solved, o.latest_satisfaction)::report_input AS o,
               ROW(n.created_at, n.status, n.lead_department_code, n.division_code, n.category_code, n.channel, n.appellant_kind, n.dispatched_at, n.signed_on_time, n.replied_on_time, n.sign_stage, n.reply_stage, n.return_count, n.rehandle_count, n.handling_working_minutes, n.closed_unrated, n.repeat_of, n.repeat_department_code, n.first_contacted, n.first_solved, n.first_satisfaction, n.latest_contacted, n.latest_solved, n.latest_satisfaction)::report_input AS n
        FROM old_rows o JOIN new_rows n ON n.id = o.id
    )
    INSERT INTO report_delta (sign, r)
    SELECT -1, x FROM changed c, report_rows(c.o, tz) x WHERE c.o IS DISTINCT FROM c.n
    UNION ALL
    SELECT 1, x FROM changed c, report_rows(c.n, tz) x WHERE c.o IS DISTINCT FROM c.n;
    RETURN NULL;
END $$;
CREATE TRIGGER appeals_report_upd AFTER UPDATE ON appeals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_delta_upd();

CREATE FUNCTION report_delta_del() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz TEXT := (SELECT time_zone FROM report_meta);
BEGIN
    IF current_setting('minxin.report_deltas', TRUE) = 'off' THEN
        RETURN NULL; -- a bulk load, which refreshes the cube itself (report_refresh)
    END IF;
    INSERT INTO report_delta (sign, r)
    SELECT -1, x FROM old_rows o, report_rows(ROW(o.created_at, o.status, o.lead_department_code, o.division_code, o.category_code, o.channel, o.appellant_kind, o.dispatched_at, o.signed_on_time, o.replied_on_time, o.sign_stage, o.reply_stage, o.return_count, o.rehandle_count, o.handling_working_minutes, o.closed_unrated, o.repeat_of, o.repeat_department_code, o.first_contacted, o.first_solved, o.first_satisfaction, o.latest_contacted, o.latest_solved, o.latest_satisfaction)::report_input, tz) x;
    RETURN NULL;
END $$;
CREATE TRIGGER appeals_report_del AFTER DELETE ON appeals
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_delta_del();

-- 5. Folding, refreshing and rebuilding ------------------------------------------------------

-- cells that folding brought to zero are dropped (received and repeats zero means nothing left)
CREATE INDEX report_cube_empty_idx ON report_cube (cuboid) WHERE received = 0 AND repeats = 0;
CREATE INDEX report_cube_day_idx ON report_cube (day);

-- Adds the temporary table report_base (sums under all keys, per day) to every cuboid: summed
-- into the cells already there when `upsert`, else inserted into an empty stretch of days.
CREATE FUNCTION report_cube_add(upsert BOOLEAN) RETURNS void LANGUAGE plpgsql
SET work_mem = '256MB' SET jit = off AS $$
DECLARE
    mask SMALLINT;
    grain INTEGER;
    dayx TEXT;
    keys TEXT[] := ARRAY['department_code', 'district_code', 'street_code', 'category_code', 'channel', 'appellant_kind'];
    sel TEXT;
    grp TEXT;
BEGIN
    FOR grain IN 0 .. 1 LOOP
    -- grain 0: per day; grain 1 (cuboid + 64): per month, under the month's first day
    dayx := CASE WHEN grain = 0 THEN 'day' ELSE 'date_trunc(''month'', day)::date' END;
    FOR mask IN SELECT c.mask FROM report_cuboids c LOOP
        sel := '';
        grp := dayx;
        FOR i IN 1 .. 6 LOOP
            IF mask & (1 << (i - 1)) <> 0 THEN
                sel := sel || ', ' || keys[i];
                grp := grp || ', ' || keys[i];
            ELSE
                sel := sel || ', ''''';
            END IF;
        END LOOP;
        EXECUTE 'INSERT INTO report_cube SELECT ' || (mask + 64 * grain) || ', ' || dayx || sel || ', ' || 'sum(received), sum(dispatched), sum(resolved), sum(signed), sum(signed_on_time), sum(replied), sum(replied_on_time), sum(overdue_open), sum(returned), sum(rehandled), sum(followed_up), sum(handling_minutes), sum(unrated), sum(repeats), sum(contacted_latest), sum(solved_latest), sum(very_satisfied_latest), sum(satisfied_latest), sum(basically_latest), sum(contacted_first), sum(solved_first), sum(very_satisfied_first), sum(satisfied_first), sum(basically_first)'
            || ' FROM report_base GROUP BY ' || grp
            || CASE WHEN upsert THEN ' ON CONFLICT (cuboid, day, department_code, district_code,'
                   || ' street_code, category_code, channel, appellant_kind) DO UPDATE SET '
                   || 'received = report_cube.received + EXCLUDED.received, dispatched = report_cube.dispatched + EXCLUDED.dispatched, resolved = report_cube.resolved + EXCLUDED.resolved, signed = report_cube.signed + EXCLUDED.signed, signed_on_time = report_cube.signed_on_time + EXCLUDED.signed_on_time, replied = report_cube.replied + EXCLUDED.replied, replied_on_time = report_cube.replied_on_time + EXCLUDED.replied_on_time, overdue_open = report_cube.overdue_open + EXCLUDED.overdue_open, returned = report_cube.returned + EXCLUDED.returned, rehandled = report_cube.rehandled + EXCLUDED.rehandled, followed_up = report_cube.followed_up + EXCLUDED.followed_up, handling_minutes = report_cube.handling_minutes + EXCLUDED.handling_minutes, unrated = report_cube.unrated + EXCLUDED.unrated, repeats = report_cube.repeats + EXCLUDED.repeats, contacted_latest = report_cube.contacted_latest + EXCLUDED.contacted_latest, solved_latest = report_cube.solved_latest + EXCLUDED.solved_latest, very_satisfied_latest = report_cube.very_satisfied_latest + EXCLUDED.very_satisfied_latest, satisfied_latest = report_cube.satisfied_latest + EXCLUDED.satisfied_latest, basically_latest = report_cube.basically_latest + EXCLUDED.basically_latest, contacted_first = report_cube.contacted_first + EXCLUDED.contacted_first, solved_first = report_cube.solved_first + EXCLUDED.solved_first, very_satisfied_first = report_cube.very_satisfied_first + EXCLUDED.very_satisfied_first, satisfied_first = report_cube.satisfied_first + EXCLUDED.satisfied_first, basically_first = report_cube.basically_first + EXCLUDED.basically_first'
               ELSE '' END;
    END LOOP;
    END LOOP;
END $$;

-- Moves the log into the cube; returns how many log rows it folded. One folder at a time
-- (another returns 0 at once); writers are never blocked, and a report reads the cube and the
-- log in one snapshot, so folding never changes what a report says.
CREATE FUNCTION report_fold() RETURNS BIGINT LANGUAGE plpgsql
SET work_mem = '64MB' SET jit = off SET client_min_messages = warning AS $$
DECLARE folded BIGINT;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('minxin.report_fold')) THEN
        RETURN 0;
    END IF;
    DROP TABLE IF EXISTS report_base;
    CREATE TEMP TABLE report_base ON COMMIT DROP AS
    WITH moved AS (
        DELETE FROM report_delta RETURNING sign, r
    )
    SELECT (r).day AS day, (r).department_code AS department_code,
            (r).district_code AS district_code, (r).street_code AS street_code,
            (r).category_code AS category_code, (r).channel AS channel,
            (r).appellant_kind AS appellant_kind,
            count(*) AS n,
            sum(sign * (r).received)::int AS received,
            sum(sign * (r).dispatched)::int AS dispatched,
            sum(sign * (r).resolved)::int AS resolved,
            sum(sign * (r).signed)::int AS signed,
            sum(sign * (r).signed_on_time)::int AS signed_on_time,
            sum(sign * (r).replied)::int AS replied,
            sum(sign * (r).replied_on_time)::int AS replied_on_time,
            sum(sign * (r).overdue_open)::int AS overdue_open,
            sum(sign * (r).returned)::int AS returned,
            sum(sign * (r).rehandled)::int AS rehandled,
            sum(sign * (r).followed_up)::int AS followed_up,
            sum(sign * (r).handling_minutes)::bigint AS handling_minutes,
            sum(sign * (r).unrated)::int AS unrated,
            sum(sign * (r).repeats)::int AS repeats,
            sum(sign * (r).contacted_latest)::int AS contacted_latest,
            sum(sign * (r).solved_latest)::int AS solved_latest,
            sum(sign * (r).very_satisfied_latest)::int AS very_satisfied_latest,
            sum(sign * (r).satisfied_latest)::int AS satisfied_latest,
            sum(sign * (r).basically_latest)::int AS basically_latest,
            sum(sign * (r).contacted_first)::int AS contacted_first,
            sum(sign * (r).solved_first)::int AS solved_first,
            sum(sign * (r).very_satisfied_first)::int AS very_satisfied_first,
            sum(sign * (r).satisfied_first)::int AS satisfied_first,
            sum(sign * (r).basically_first)::int AS basically_first
    FROM moved
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
    SELECT coalesce(sum(n), 0) INTO folded FROM report_base;
    IF folded > 0 THEN
        PERFORM report_cube_add(TRUE);
        DELETE FROM report_cube WHERE received = 0 AND repeats = 0;
    END IF;
    DROP TABLE report_base;
    RETURN folded;
END $$;

-- Recomputes the cube's days `first`..`last`, widened to whole months (all days when both are
-- NULL), from the appeals.
-- Runs in a REPEATABLE READ transaction, so that the appeals it reads and the log rows it drops
-- are of one snapshot: a change committed later stays in the log and is folded as usual.
CREATE FUNCTION report_refresh(first DATE, last DATE) RETURNS BIGINT LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') NOT IN ('repeatable read', 'serializable') THEN
        RAISE EXCEPTION 'report_refresh needs a REPEATABLE READ transaction';
    END IF;
    RETURN report_recompute(first, last);
END $$;

-- report_refresh without the isolation check, for the migration (which locks appeals anyway).
-- Returns the number of appeals' contributions summed.
CREATE FUNCTION report_recompute(first DATE, last DATE) RETURNS BIGINT LANGUAGE plpgsql
SET work_mem = '256MB' SET jit = off SET client_min_messages = warning AS $$
DECLARE
    tz TEXT := (SELECT time_zone FROM report_meta);
    lo TIMESTAMPTZ := '-infinity';
    hi TIMESTAMPTZ := 'infinity';
    n BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('minxin.report_fold'));
    IF first IS NULL AND last IS NULL THEN
        TRUNCATE report_cube;
        DELETE FROM report_delta;
    ELSE
        -- whole months, for the monthly cells
        first := date_trunc('month', first)::date;
        last := (date_trunc('month', last) + interval '1 month - 1 day')::date;
        DELETE FROM report_cube WHERE day BETWEEN first AND last;
        DELETE FROM report_delta WHERE (r).day BETWEEN first AND last;
        lo := first::timestamp AT TIME ZONE tz;
        hi := (last + 1)::timestamp AT TIME ZONE tz;
    END IF;
    DROP TABLE IF EXISTS report_base;
    CREATE TEMP TABLE report_base ON COMMIT DROP AS
    SELECT x.day, x.department_code, x.district_code, x.street_code, x.category_code,
            x.channel, x.appellant_kind,
            count(*) AS n,
            sum(x.received)::int AS received,
            sum(x.dispatched)::int AS dispatched,
            sum(x.resolved)::int AS resolved,
            sum(x.signed)::int AS signed,
            sum(x.signed_on_time)::int AS signed_on_time,
            sum(x.replied)::int AS replied,
            sum(x.replied_on_time)::int AS replied_on_time,
            sum(x.overdue_open)::int AS overdue_open,
            sum(x.returned)::int AS returned,
            sum(x.rehandled)::int AS rehandled,
            sum(x.followed_up)::int AS followed_up,
            sum(x.handling_minutes)::bigint AS handling_minutes,
            sum(x.unrated)::int AS unrated,
            sum(x.repeats)::int AS repeats,
            sum(x.contacted_latest)::int AS contacted_latest,
            sum(x.solved_latest)::int AS solved_latest,
            sum(x.very_satisfied_latest)::int AS very_satisfied_latest,
            sum(x.satisfied_latest)::int AS satisfied_latest,
            sum(x.basically_latest)::int AS basically_latest,
            sum(x.contacted_first)::int AS contacted_first,
            sum(x.solved_first)::int AS solved_first,
            sum(x.very_satisfied_first)::int AS very_satisfied_first,
            sum(x.satisfied_first)::int AS satisfied_first,
            sum(x.basically_first)::int AS basically_first
    FROM appeals a, report_rows(ROW(a.created_at, a.status, a.lead_department_code, a.division_code, a.category_code, a.channel, a.appellant_kind, a.dispatched_at, a.signed_on_time, a.replied_on_time, a.sign_stage, a.reply_stage, a.return_count, a.rehandle_count, a.handling_working_minutes, a.closed_unrated, a.repeat_of, a.repeat_department_code, a.first_contacted, a.first_solved, a.first_satisfaction, a.latest_contacted, a.latest_solved, a.latest_satisfaction)::report_input, tz) x
    WHERE a.created_at >= lo AND a.created_at < hi
      AND (first IS NULL OR x.day BETWEEN first AND last)
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
    SELECT coalesce(sum(b.received), 0) INTO n FROM report_base b;
    PERFORM report_cube_add(FALSE);
    DROP TABLE report_base;
    RETURN n;
END $$;

-- Rebuilds the whole cube in the working calendar's current time zone (after the zone changes,
-- or to repair). Call after `LOCK TABLE report_meta IN ACCESS EXCLUSIVE MODE`, as the first
-- statement of a REPEATABLE READ transaction: appeal writes wait until it commits.
CREATE FUNCTION report_rebuild() RETURNS BIGINT LANGUAGE plpgsql AS $$
BEGIN
    UPDATE report_meta SET time_zone = (SELECT time_zone FROM calendar_settings), built_at = now();
    RETURN report_refresh(NULL, NULL);
END $$;

-- the appeals already there (the ALTER TABLE above keeps writers out until this commits)
SELECT report_recompute(NULL, NULL);
