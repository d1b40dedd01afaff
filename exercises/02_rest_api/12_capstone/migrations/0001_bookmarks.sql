CREATE TABLE bookmarks (
    id         BIGSERIAL PRIMARY KEY,
    url        TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL CHECK (title <> ''),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
