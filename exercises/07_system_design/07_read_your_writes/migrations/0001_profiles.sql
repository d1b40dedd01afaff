-- The same schema on the primary and on the replica.
CREATE TABLE profiles (
    user_id BIGINT PRIMARY KEY,
    bio     TEXT NOT NULL
);

-- On the replica: how far into the primary's write-ahead log it has applied, in bytes (the
-- primary's `pg_current_wal_insert_lsn() - '0/0'`). The replication stand-in of the tests
-- keeps it; a Postgres standby answers the same question with `pg_last_wal_replay_lsn()`.
CREATE TABLE replication_state (
    one      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    position BIGINT NOT NULL
);
INSERT INTO replication_state (position) VALUES (0);
