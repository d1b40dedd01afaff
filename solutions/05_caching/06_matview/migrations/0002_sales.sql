-- Units sold per product, computed once per refresh instead of once per request.
CREATE MATERIALIZED VIEW product_sales AS
SELECT p.id AS product_id, p.name, sum(l.quantity)::BIGINT AS units
FROM products p
JOIN order_lines l ON l.product_id = p.id
GROUP BY p.id, p.name;

-- REFRESH ... CONCURRENTLY compares the new result with the old row by row: it needs a unique
-- index (on plain columns, without WHERE) to match them.
CREATE UNIQUE INDEX product_sales_product_id ON product_sales (product_id);
