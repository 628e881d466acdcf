SET lock_timeout = '3s';
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_indexes WHERE indexname = 'ix_customers_name') THEN
        EXECUTE 'CREATE INDEX ix_customers_name ON customers (name)';
    END IF;
END $$;
SELECT refresh_order_totals();
