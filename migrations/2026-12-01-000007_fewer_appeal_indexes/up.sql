-- Two indexes of appeals that no query needs, each paid for by every appeal written (issue 6:
-- an index costs a bulk load 3-9 µs per row on the reference machine, docs/PERFORMANCE.md).
--
-- appeals_category_idx (category_code) is the leading column of
-- appeals_category_division_idx (category_code, division_code, created_at), which serves every
-- look-up by category, the foreign-key check of a deleted category included.
DROP INDEX appeals_category_idx;
-- appeals_division_idx (division_code): no query looks appeals up by exact division code (the
-- reports read the rollups; duplicates use appeals_category_division_idx). It served only the
-- foreign-key check when a division is deleted or renumbered, a rare administrative act that
-- may scan the table instead.
DROP INDEX appeals_division_idx;
