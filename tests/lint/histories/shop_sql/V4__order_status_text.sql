SET lock_timeout = '3s';
ALTER TABLE orders ALTER COLUMN status TYPE text;
