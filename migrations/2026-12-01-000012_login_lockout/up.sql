-- Repeated wrong passwords lock an account for a while (issue 9): the count of wrong passwords
-- since the last good one, and until when the account is locked.
ALTER TABLE users
    ADD COLUMN failed_logins SMALLINT NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    ADD COLUMN locked_until  TIMESTAMPTZ;
