SET lock_timeout = '3s';
CREATE INDEX CONCURRENTLY ix_orders_status ON orders (status);
CREATE INDEX ix_orders_note ON orders (note);
