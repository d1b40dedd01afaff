-- The orders module's own schema. It refers to products by id only: no foreign key into
-- another module's tables (the day catalog becomes a service, there is nothing to cut), and
-- what an order needs of a product is copied into it when the order is placed.
CREATE SCHEMA orders;

CREATE TABLE orders.orders (
    id         BIGSERIAL PRIMARY KEY,
    customer   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE orders.order_lines (
    order_id         BIGINT NOT NULL REFERENCES orders.orders (id),
    line_no          INT NOT NULL,
    product_id       BIGINT NOT NULL,
    product_name     TEXT NOT NULL,
    unit_price_cents BIGINT NOT NULL,
    qty              INT NOT NULL CHECK (qty > 0),
    PRIMARY KEY (order_id, line_no)
);
