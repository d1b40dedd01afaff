-- The same schema on every shard: a shard is a whole database holding some tenants.
CREATE TABLE invoices (
    tenant_id    BIGINT NOT NULL,
    id           BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    created_ms   BIGINT NOT NULL,
    -- The tenant leads every key: a tenant's rows are found without leaving its shard.
    PRIMARY KEY (tenant_id, id)
);

-- Each shard answers its part of a scatter-gather from an index, in the merge's order.
CREATE INDEX invoices_by_amount ON invoices (amount_cents DESC, tenant_id, id);
CREATE INDEX invoices_by_time ON invoices (created_ms, tenant_id, id);
