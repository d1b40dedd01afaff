-- 1. Equality column first, then the range/sort column: one index range, already in order.
CREATE INDEX orders_customer_created ON orders (customer_id, created_at);

-- 2. Only the rare pending orders, in the order the queue reads them.
CREATE INDEX orders_pending_created ON orders (created_at) WHERE status = 'pending';

-- 3. Look up by email and carry the name in the index: an index-only scan.
CREATE UNIQUE INDEX users_email_incl_name ON users (email) INCLUDE (name);
