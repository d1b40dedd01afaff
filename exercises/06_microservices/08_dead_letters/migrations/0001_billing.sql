CREATE TABLE accounts (
    customer      TEXT PRIMARY KEY,
    balance_cents BIGINT NOT NULL DEFAULT 0
);

-- One row per payment, to count how often each was applied (the tests read it).
CREATE TABLE ledger (
    id           BIGSERIAL PRIMARY KEY,
    event_id     TEXT NOT NULL,
    customer     TEXT NOT NULL REFERENCES accounts (customer),
    amount_cents BIGINT NOT NULL
);

-- The events this consumer has applied: what makes a redelivery harmless.
CREATE TABLE processed_events (
    event_id     TEXT PRIMARY KEY,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
