-- How many open appeals (dispatched, in progress, suspended) each clerk holds through a live
-- assignment: what auto-assignment (src/assign.rs) picks the least loaded clerk by. Kept by
-- triggers as assignments start, end or change hands and as appeals open and close, so that a
-- dispatch reads one row per clerk instead of counting every assignment the department's
-- clerks ever had. Bulk loads (session_replication_role = replica) skip triggers: they write no
-- assignments and insert appeals without any, so there is nothing for these to count.
CREATE TABLE clerk_load (
    user_id uuid PRIMARY KEY REFERENCES users (id),
    open_appeals integer NOT NULL DEFAULT 0 CHECK (open_appeals >= 0)
);

CREATE FUNCTION appeal_open_for_clerk(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT status IN ('dispatched', 'in_progress', 'suspended') $$;

INSERT INTO clerk_load (user_id, open_appeals)
SELECT a.assignee_id, count(*)
FROM assignments a JOIN appeals p ON p.id = a.appeal_id
WHERE a.ended_at IS NULL AND a.assignee_id IS NOT NULL AND appeal_open_for_clerk(p.status)
GROUP BY a.assignee_id;

-- (a decrement updates: an insert of a negative count would fail the CHECK before ON CONFLICT
-- could turn it into an update)
CREATE FUNCTION clerk_load_add(clerk uuid, n integer) RETURNS void
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF n >= 0 THEN
            INSERT INTO clerk_load AS l (user_id, open_appeals) VALUES (clerk, n)
            ON CONFLICT (user_id) DO UPDATE SET open_appeals = l.open_appeals + excluded.open_appeals;
        ELSE
            UPDATE clerk_load SET open_appeals = open_appeals + n WHERE user_id = clerk;
        END IF;
    END
    $$;

-- an assignment counts while it is live, has an assignee and its appeal is open
CREATE FUNCTION clerk_load_assignment() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    DECLARE
        was boolean := false;
        is_now boolean := false;
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            was := OLD.ended_at IS NULL AND OLD.assignee_id IS NOT NULL
                AND (SELECT appeal_open_for_clerk(status) FROM appeals WHERE id = OLD.appeal_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            is_now := NEW.ended_at IS NULL AND NEW.assignee_id IS NOT NULL
                AND (SELECT appeal_open_for_clerk(status) FROM appeals WHERE id = NEW.appeal_id);
        END IF;
        IF was AND is_now AND OLD.assignee_id = NEW.assignee_id THEN
            RETURN NULL;
        END IF;
        IF was THEN
            PERFORM clerk_load_add(OLD.assignee_id, -1);
        END IF;
        IF is_now THEN
            PERFORM clerk_load_add(NEW.assignee_id, 1);
        END IF;
        RETURN NULL;
    END
    $$;

CREATE TRIGGER assignments_clerk_load_ins AFTER INSERT ON assignments
    FOR EACH ROW WHEN (NEW.assignee_id IS NOT NULL AND NEW.ended_at IS NULL)
    EXECUTE FUNCTION clerk_load_assignment();
CREATE TRIGGER assignments_clerk_load_upd AFTER UPDATE OF assignee_id, ended_at, appeal_id ON assignments
    FOR EACH ROW EXECUTE FUNCTION clerk_load_assignment();
CREATE TRIGGER assignments_clerk_load_del AFTER DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION clerk_load_assignment();

-- an appeal opening or closing moves its live assignees' counts
CREATE FUNCTION clerk_load_appeal() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    DECLARE
        held record;
        step integer := CASE WHEN appeal_open_for_clerk(NEW.status) THEN 1 ELSE -1 END;
    BEGIN
        FOR held IN
            SELECT a.assignee_id, count(*)::integer AS n
            FROM assignments a
            WHERE a.appeal_id = NEW.id AND a.ended_at IS NULL AND a.assignee_id IS NOT NULL
            GROUP BY a.assignee_id
        LOOP
            PERFORM clerk_load_add(held.assignee_id, step * held.n);
        END LOOP;
        RETURN NULL;
    END
    $$;

CREATE TRIGGER appeals_clerk_load AFTER UPDATE OF status ON appeals
    FOR EACH ROW
    WHEN (appeal_open_for_clerk(OLD.status) IS DISTINCT FROM appeal_open_for_clerk(NEW.status))
    EXECUTE FUNCTION clerk_load_appeal();
