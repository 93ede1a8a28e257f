DROP INDEX follow_ups_round_uniq;
ALTER TABLE follow_ups DROP COLUMN round;
DROP INDEX appeals_category_division_idx;
DROP INDEX appeals_credit_category_idx;
DROP INDEX appeals_phone_category_idx;
DROP INDEX appeals_repeat_of_idx;
DROP INDEX appeals_follow_up_due_idx;
ALTER TABLE appeals DROP CONSTRAINT appeals_repeat_of_check,
    DROP COLUMN repeat_of, DROP COLUMN close_reason, DROP COLUMN closed_unrated,
    DROP COLUMN follow_up_due_at, DROP COLUMN follow_up_round;
