CREATE TABLE orders (
    id          BIGSERIAL PRIMARY KEY,
    customer_id BIGINT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'shipped')),
    created_at  TIMESTAMPTZ NOT NULL,
    total_cents BIGINT NOT NULL
);

CREATE TABLE users (
    id    BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    name  TEXT NOT NULL,
    bio   TEXT NOT NULL DEFAULT ''
);
