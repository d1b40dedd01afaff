CREATE TABLE products (
    id   BIGINT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE order_lines (
    id         BIGSERIAL PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id),
    quantity   INT NOT NULL CHECK (quantity > 0),
    ordered_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
