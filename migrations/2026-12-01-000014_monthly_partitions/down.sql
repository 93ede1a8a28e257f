-- Back to one table each, with the rows of every partition.

ALTER TABLE audit_events RENAME TO audit_events_parts;
ALTER INDEX audit_events_pkey RENAME TO audit_events_parts_pkey;
CREATE TABLE audit_events (
    LIKE audit_events_parts INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE,
    PRIMARY KEY (id),
    UNIQUE (appeal_id, seq),
    CONSTRAINT audit_events_appeal_id_fkey FOREIGN KEY (appeal_id) REFERENCES appeals (id),
    CONSTRAINT audit_events_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES users (id)
);
ALTER SEQUENCE audit_events_id_seq OWNED BY audit_events.id;
INSERT INTO audit_events SELECT * FROM audit_events_parts;
DROP TABLE audit_events_parts;
CREATE TRIGGER audit_events_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

ALTER TABLE report_cube RENAME TO report_cube_parts;
ALTER INDEX report_cube_pkey RENAME TO report_cube_parts_pkey;
DROP INDEX report_cube_empty_idx;
DROP INDEX report_cube_day_idx;
CREATE TABLE report_cube (
    LIKE report_cube_parts INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE,
    PRIMARY KEY (cuboid, day, department_code, district_code, street_code, category_code,
                 channel, appellant_kind)
);
INSERT INTO report_cube SELECT * FROM report_cube_parts;
DROP TABLE report_cube_parts;
CREATE INDEX report_cube_empty_idx ON report_cube (cuboid) WHERE received = 0 AND repeats = 0;
CREATE INDEX report_cube_day_idx ON report_cube (day);

DROP FUNCTION partitions_ensure(date, date);
DROP FUNCTION partition_month(text, date);
DROP FUNCTION partition_extras(text, text);

ANALYZE audit_events;
ANALYZE report_cube;
