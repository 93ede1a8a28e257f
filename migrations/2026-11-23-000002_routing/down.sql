ALTER TABLE departments DROP CONSTRAINT departments_kind_check,
    ADD CONSTRAINT departments_kind_check CHECK (kind IN
        ('hotline_centre', 'city_bureau', 'district_government', 'street_office', 'utility'));
DROP INDEX appeals_created_idx;
DROP INDEX users_department_role_idx;
ALTER TABLE users DROP COLUMN absent;
ALTER TABLE departments DROP COLUMN auto_assign;
ALTER TABLE notes DROP COLUMN department_code;
DROP INDEX assignments_returned_idx;
DROP INDEX assignments_live_assignee_idx;
ALTER TABLE assignments DROP CONSTRAINT assignments_end_reason_check2,
    DROP COLUMN end_reason, DROP COLUMN reported_at, DROP COLUMN assignee_id;
DROP TABLE routing_state;
DROP TABLE routing_rules;
DROP SEQUENCE routing_rule_ids;
ALTER TABLE appeals DROP COLUMN returned_by, DROP COLUMN pool_detail, DROP COLUMN pool_reason, DROP COLUMN urgency;
