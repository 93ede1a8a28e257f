DROP TRIGGER appeals_report_ins ON appeals;
DROP TRIGGER appeals_report_upd ON appeals;
DROP TRIGGER appeals_report_del ON appeals;
DROP FUNCTION report_rebuild();
DROP FUNCTION report_refresh(DATE, DATE);
DROP FUNCTION report_recompute(DATE, DATE);
DROP FUNCTION report_fold();
DROP FUNCTION report_cube_add(BOOLEAN);
DROP FUNCTION report_delta_ins();
DROP FUNCTION report_delta_upd();
DROP FUNCTION report_delta_del();
DROP TABLE report_cuboids;
DROP TABLE report_cube;
DROP TABLE report_delta;
DROP FUNCTION report_rows(report_input, TEXT);
DROP TYPE report_input;
DROP TYPE report_row;
DROP TABLE report_meta;
DROP TRIGGER follow_ups_sync_ins ON follow_ups;
DROP TRIGGER follow_ups_sync_row ON follow_ups;
DROP FUNCTION follow_ups_sync_ins();
DROP FUNCTION follow_ups_sync_row();
DROP FUNCTION sync_follow_up_answers(UUID[]);
DROP TRIGGER appeals_repeat_department_ins ON appeals;
DROP TRIGGER appeals_repeat_department_upd ON appeals;
DROP FUNCTION appeals_repeat_department();
ALTER TABLE appeals
    DROP COLUMN repeat_department_code,
    DROP COLUMN first_contacted,
    DROP COLUMN first_solved,
    DROP COLUMN first_satisfaction,
    DROP COLUMN latest_contacted,
    DROP COLUMN latest_solved,
    DROP COLUMN latest_satisfaction;
