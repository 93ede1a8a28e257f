DROP INDEX appeals_external_no_uniq;
ALTER TABLE appeals DROP COLUMN external_no;
