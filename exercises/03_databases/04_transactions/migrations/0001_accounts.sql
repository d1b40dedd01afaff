CREATE TABLE accounts (
    id            BIGINT PRIMARY KEY,
    owner         TEXT NOT NULL,
    balance_cents BIGINT NOT NULL CHECK (balance_cents >= 0)
);

CREATE TABLE transfers (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_id      BIGINT NOT NULL REFERENCES accounts (id),
    to_id        BIGINT NOT NULL REFERENCES accounts (id),
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0)
);
