DROP TRIGGER appeals_clerk_load ON appeals;
DROP FUNCTION clerk_load_appeal();
DROP TRIGGER assignments_clerk_load_ins ON assignments;
DROP TRIGGER assignments_clerk_load_upd ON assignments;
DROP TRIGGER assignments_clerk_load_del ON assignments;
DROP FUNCTION clerk_load_assignment();
DROP FUNCTION clerk_load_add(uuid, integer);
DROP TABLE clerk_load;
DROP FUNCTION appeal_open_for_clerk(text);
