-- The catalog module's own schema: only the catalog module reads or writes it.
CREATE SCHEMA catalog;

CREATE TABLE catalog.products (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0)
);
