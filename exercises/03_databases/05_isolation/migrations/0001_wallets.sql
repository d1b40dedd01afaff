CREATE TABLE wallets (
    id      BIGINT PRIMARY KEY,
    -- One owner may hold several wallets; `withdraw_serializable` keeps their sum at or above 0.
    owner   BIGINT NOT NULL DEFAULT 1,
    balance BIGINT NOT NULL
);
