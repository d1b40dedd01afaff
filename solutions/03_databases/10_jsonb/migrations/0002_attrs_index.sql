-- jsonb_path_ops: smaller and faster than the default jsonb_ops, and supports @> (all we use).
CREATE INDEX products_attrs ON products USING GIN (attrs jsonb_path_ops);
