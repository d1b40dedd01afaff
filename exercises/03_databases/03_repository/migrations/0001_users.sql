CREATE TABLE users (
    id     BIGSERIAL PRIMARY KEY,
    -- Named constraints: the repository maps a violation to the field by its name.
    email  TEXT NOT NULL CONSTRAINT users_email_key UNIQUE,
    handle TEXT NOT NULL CONSTRAINT users_handle_key UNIQUE,
    name   TEXT NOT NULL CONSTRAINT users_name_not_blank CHECK (btrim(name) <> '')
);
