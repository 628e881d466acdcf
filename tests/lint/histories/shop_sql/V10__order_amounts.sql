SET lock_timeout = '3s';
ALTER TABLE orders ALTER COLUMN total TYPE numeric(14, 2);
ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;
