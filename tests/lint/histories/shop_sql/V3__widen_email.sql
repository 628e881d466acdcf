-- longer e-mail addresses: varchar(120) -> varchar(255) is binary coercible, no rewrite
SET lock_timeout = '3s';
ALTER TABLE customers ALTER COLUMN email TYPE varchar(255);
