-- Ends a staff member's sessions when the account changes: deactivation (and reactivation), a
-- new password, a new role or department each add one; a login token carries the number it was
-- issued under and is refused once it differs (src/auth/extract.rs).
ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0;
