-- Step 3: contract. Deployed once every v1 is gone; only v2 runs.

-- Nothing writes `name` any more: stop syncing it, then drop it.
DROP TRIGGER users_sync_name ON users;
DROP FUNCTION users_sync_name();
ALTER TABLE users DROP COLUMN name;

-- `full_name` takes over the guarantee `name` gave. Checked without blocking writes first
-- (NOT VALID, then VALIDATE takes only a SHARE UPDATE EXCLUSIVE lock); SET NOT NULL then
-- uses the validated constraint instead of scanning the table under an exclusive lock.
ALTER TABLE users ADD CONSTRAINT users_full_name_not_null CHECK (full_name IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_full_name_not_null;
ALTER TABLE users ALTER COLUMN full_name SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_full_name_not_null;
