-- Historical appeals imported from a hotline export (`minxin import`, docs/IMPORT.md).
--
-- The export's own number (工单编号) is kept, so importing the same file again adds nothing.
-- Appeals filed here have none; the index holds imported rows only.
ALTER TABLE appeals ADD COLUMN external_no VARCHAR(64)
    CHECK (external_no IS NULL OR length(btrim(external_no)) > 0);
CREATE UNIQUE INDEX appeals_external_no_uniq ON appeals (external_no) WHERE external_no IS NOT NULL;
