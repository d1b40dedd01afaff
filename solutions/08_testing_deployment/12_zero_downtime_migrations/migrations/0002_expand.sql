-- Step 2: expand. Deployed while v1 runs, before v2 is rolled out; v1 and v2 then run side by
-- side. Everything here only adds: v1 keeps working exactly as before.

-- The new column, nullable for now: v1 does not fill it.
ALTER TABLE users ADD COLUMN full_name TEXT;

-- Either version's write fills the other's column, so each sees what the other wrote. A
-- BEFORE trigger runs before the NOT NULL check on `name`, so v2's inserts pass it.
CREATE FUNCTION users_sync_name() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.full_name := COALESCE(NEW.full_name, NEW.name);
        NEW.name := COALESCE(NEW.name, NEW.full_name);
    ELSIF NEW.name IS DISTINCT FROM OLD.name THEN
        NEW.full_name := NEW.name;
    ELSIF NEW.full_name IS DISTINCT FROM OLD.full_name THEN
        NEW.name := NEW.full_name;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_sync_name
    BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_sync_name();

-- The rows written before the trigger existed. (On a big table: in batches, outside this
-- transaction, so that no lock is held for long.)
UPDATE users SET full_name = name WHERE full_name IS NULL;
