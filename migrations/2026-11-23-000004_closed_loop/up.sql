-- The closed loop: follow-up rounds and their window, closing unrated or by a supervisor,
-- repeat appeals (possible false closures) and duplicate search.

ALTER TABLE appeals
    -- each reply of the lead department opens a follow-up round; its answer closes the appeal
    -- or sends it back (重办)
    ADD COLUMN follow_up_round  INTEGER NOT NULL DEFAULT 0 CHECK (follow_up_round >= 0),
    -- the end of the current round's window: unanswered by then, the appeal closes unrated
    ADD COLUMN follow_up_due_at TIMESTAMPTZ,
    -- closed by the window without an answer: outside the rates' denominators
    ADD COLUMN closed_unrated   BOOLEAN NOT NULL DEFAULT FALSE,
    -- a supervisor closed it instead of re-handling, and why
    ADD COLUMN close_reason     VARCHAR(500),
    -- the same appellant and category within 7 days of this closure: a possible false closure
    ADD COLUMN repeat_of        UUID REFERENCES appeals(id),
    ADD CONSTRAINT appeals_repeat_of_check CHECK (repeat_of IS NULL OR repeat_of <> id);
CREATE INDEX appeals_follow_up_due_idx ON appeals (follow_up_due_at) WHERE status = 'resolved';
CREATE INDEX appeals_repeat_of_idx ON appeals (repeat_of) WHERE repeat_of IS NOT NULL;
-- finding an appellant's recent closures in a category
CREATE INDEX appeals_phone_category_idx ON appeals (phone, category_code, closed_at);
CREATE INDEX appeals_credit_category_idx ON appeals (credit_code, category_code, closed_at)
    WHERE credit_code IS NOT NULL;
-- probable duplicates: same category and division, then text similarity
CREATE INDEX appeals_category_division_idx ON appeals (category_code, division_code, created_at);

-- One answer per round, whoever gives it (the appellant's link or a return-visit call).
ALTER TABLE follow_ups ADD COLUMN round INTEGER NOT NULL DEFAULT 1 CHECK (round >= 1);
UPDATE follow_ups f SET round = sub.n
FROM (SELECT id, row_number() OVER (PARTITION BY appeal_id ORDER BY created_at, id) AS n FROM follow_ups) sub
WHERE f.id = sub.id;
CREATE UNIQUE INDEX follow_ups_round_uniq ON follow_ups (appeal_id, round);
UPDATE appeals a SET follow_up_round = GREATEST(
    (SELECT count(*) FROM replies r WHERE r.appeal_id = a.id),
    (SELECT count(*) FROM follow_ups f WHERE f.appeal_id = a.id));

CREATE EXTENSION IF NOT EXISTS pg_trgm;
