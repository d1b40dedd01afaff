CREATE TABLE orders (
    id           TEXT PRIMARY KEY,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0)
);

-- Events waiting to be published: written in the same transaction as the change they describe.
CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE,
    subject      TEXT NOT NULL,
    payload      JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);

-- What the relay scans: only the rows still to publish, in order.
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
