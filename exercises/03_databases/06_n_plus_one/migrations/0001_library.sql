CREATE TABLE authors (
    id   BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE books (
    id        BIGSERIAL PRIMARY KEY,
    author_id BIGINT NOT NULL REFERENCES authors (id),
    title     TEXT NOT NULL,
    published INT NOT NULL
);
CREATE INDEX books_author_id ON books (author_id);
