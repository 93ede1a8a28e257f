CREATE INDEX appeals_category_idx ON appeals (category_code);
CREATE INDEX appeals_division_idx ON appeals (division_code);
