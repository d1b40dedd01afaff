-- Products of very different kinds: their attributes have no fixed set of columns.
CREATE TABLE products (
    id    BIGSERIAL PRIMARY KEY,
    name  TEXT NOT NULL,
    attrs JSONB NOT NULL DEFAULT '{}'
);
