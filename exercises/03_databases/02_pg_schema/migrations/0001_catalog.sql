-- A small book catalog. The columns are right; the constraints are missing.
-- TODO: add the constraints listed in the exercise's README.md.

CREATE TABLE authors (
    id    BIGINT GENERATED ALWAYS AS IDENTITY,
    email TEXT,
    name  TEXT
);

CREATE TABLE books (
    id          BIGINT GENERATED ALWAYS AS IDENTITY,
    author_id   BIGINT,
    title       TEXT,
    isbn        TEXT,
    price_cents INTEGER
);
