-- Monthly partitions for the two tables that grow with every change and are read by month:
--
-- * `audit_events`, by the month of `created_at` (months in UTC: a partition is a unit of
--   storage, vacuum and archiving, not a report period);
-- * `report_cube`, by the month of `day` (the working calendar's local days; a month's daily
--   cells and its monthly cell, filed under the month's first day, share a partition, so a
--   report over a period reads only that period's partitions).
--
-- `appeals` and the tables keyed by appeal stay whole: see docs/OPERATIONS.md ("Partitions").
--
-- Each table gets a DEFAULT partition that catches a row of a month that has no partition yet,
-- so no write ever fails for want of one; `partition_month` creates a month's partition and
-- moves such rows into it. The running service creates the current month's and the next
-- months' partitions ahead (`partitions_ensure`, src/partitions.rs), bulk loads the months they
-- load, and this migration every month its data holds.
--
-- PostgreSQL requires a partitioned table's unique keys to contain the partition key:
-- `audit_events` has the primary key (id, created_at), and the chain's (appeal_id, seq) is
-- unique in each partition (`partition_extras`), where it is the backstop it was before — the
-- writers of one chain hold the appeal's row lock, which is what keeps seq unique across months.

-- What each partition of these tables carries beyond what it inherits from the parent: the audit
-- log's per-partition unique chain position and its TRUNCATE guard (statement triggers are not
-- inherited, and TRUNCATE of one partition fires only that partition's triggers).
CREATE FUNCTION partition_extras(parent text, part text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF parent = 'audit_events' THEN
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I UNIQUE (appeal_id, seq)', part, part || '_chain_uniq');
        EXECUTE format('CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()', part);
    END IF;
END $$;

-- Creates the partition of `parent` (audit_events or report_cube) for the month holding `month`,
-- named parent_YYYYMM, unless it exists; returns whether it created it. Rows of that month in the
-- DEFAULT partition are moved into the new one (the default is detached for the move, which also
-- lifts the audit log's cloned append-only trigger from it, and attached again). The new table is
-- filled and then attached (ATTACH takes a lighter lock on the parent than CREATE … PARTITION OF:
-- reads and writes of the other months go on). One creator at a time (an advisory lock), so any
-- number of instances may call it.
CREATE FUNCTION partition_month(parent text, month date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', month)::date;
    next_day  date := (date_trunc('month', month) + interval '1 month')::date;
    part      text := parent || '_' || to_char(first_day, 'YYYYMM');
    def       text := parent || '_default';
    key       text;
    lo        text;
    hi        text;
    held      boolean;
BEGIN
    IF parent = 'audit_events' THEN
        key := 'created_at';
        lo := quote_literal(first_day::timestamp AT TIME ZONE 'UTC');
        hi := quote_literal(next_day::timestamp AT TIME ZONE 'UTC');
    ELSIF parent = 'report_cube' THEN
        key := 'day';
        lo := quote_literal(first_day);
        hi := quote_literal(next_day);
    ELSE
        RAISE EXCEPTION 'partition_month: % is not partitioned by month', parent
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('minxin.partitions'));
    IF to_regclass(part) IS NOT NULL THEN
        RETURN FALSE;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)',
                   part, parent);
    PERFORM partition_extras(parent, part);
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= %s AND %I < %s)', def, key, lo, key, hi)
        INTO held;
    IF held THEN
        EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', parent, def);
        EXECUTE format('INSERT INTO %I SELECT * FROM %I WHERE %I >= %s AND %I < %s',
                       part, def, key, lo, key, hi);
        EXECUTE format('DELETE FROM %I WHERE %I >= %s AND %I < %s', def, key, lo, key, hi);
        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', parent, part, lo, hi);
        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I DEFAULT', parent, def);
    ELSE
        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', parent, part, lo, hi);
    END IF;
    RETURN TRUE;
END $$;

-- The partitions of both tables for every month from `from_month` to `to_month`; returns the
-- names of those it created.
CREATE FUNCTION partitions_ensure(from_month date, to_month date) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    m date;
    t text;
BEGIN
    FOR m IN SELECT generate_series(date_trunc('month', from_month), date_trunc('month', to_month),
                                    interval '1 month')::date LOOP
        FOREACH t IN ARRAY ARRAY['audit_events', 'report_cube'] LOOP
            IF partition_month(t, m) THEN
                RETURN NEXT t || '_' || to_char(m, 'YYYYMM');
            END IF;
        END LOOP;
    END LOOP;
END $$;

-- 1. The audit log -----------------------------------------------------------------------------

ALTER TABLE audit_events RENAME TO audit_events_whole;
ALTER INDEX audit_events_pkey RENAME TO audit_events_whole_pkey;
ALTER INDEX audit_events_appeal_id_seq_key RENAME TO audit_events_whole_chain_uniq;

CREATE TABLE audit_events (
    LIKE audit_events_whole INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE,
    PRIMARY KEY (id, created_at),
    CONSTRAINT audit_events_appeal_id_fkey FOREIGN KEY (appeal_id) REFERENCES appeals (id),
    CONSTRAINT audit_events_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES users (id)
) PARTITION BY RANGE (created_at);
ALTER SEQUENCE audit_events_id_seq OWNED BY audit_events.id;

CREATE TRIGGER audit_events_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;
SELECT partition_extras('audit_events', 'audit_events_default');

SELECT partition_month('audit_events', m)
FROM (SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS m
      FROM audit_events_whole) months;

INSERT INTO audit_events SELECT * FROM audit_events_whole;
DROP TABLE audit_events_whole;

-- 2. The report cube ---------------------------------------------------------------------------

ALTER TABLE report_cube RENAME TO report_cube_whole;
ALTER INDEX report_cube_pkey RENAME TO report_cube_whole_pkey;
DROP INDEX report_cube_empty_idx;
DROP INDEX report_cube_day_idx;

CREATE TABLE report_cube (
    LIKE report_cube_whole INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE,
    PRIMARY KEY (cuboid, day, department_code, district_code, street_code, category_code,
                 channel, appellant_kind)
) PARTITION BY RANGE (day);
CREATE INDEX report_cube_empty_idx ON report_cube (cuboid) WHERE received = 0 AND repeats = 0;
CREATE INDEX report_cube_day_idx ON report_cube (day);

CREATE TABLE report_cube_default PARTITION OF report_cube DEFAULT;

SELECT partition_month('report_cube', m)
FROM (SELECT DISTINCT date_trunc('month', day)::date AS m FROM report_cube_whole) months;

INSERT INTO report_cube SELECT * FROM report_cube_whole;
DROP TABLE report_cube_whole;

-- 3. This month and the next three, for both ---------------------------------------------------

SELECT partitions_ensure(current_date, (current_date + interval '3 months')::date);

ANALYZE audit_events;
ANALYZE report_cube;
