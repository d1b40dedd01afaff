-- A small book catalog, with every rule about its data stated as a constraint.

CREATE TABLE authors (
    id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name  TEXT NOT NULL CHECK (name <> '')
);

CREATE TABLE books (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id   BIGINT NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    isbn        TEXT UNIQUE CHECK (isbn ~ '^[0-9]{13}$'),
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0)
);
