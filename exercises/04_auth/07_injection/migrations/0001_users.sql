CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    -- Never to be sorted, filtered or shown by the listing: its order alone leaks it.
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
