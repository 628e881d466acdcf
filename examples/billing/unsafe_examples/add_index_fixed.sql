-- Index line items by procedure code: the safe way.
-- CONCURRENTLY builds without blocking writes (outside a transaction block).
CREATE INDEX CONCURRENTLY ix_claim_line_items_cpt_code ON claim_line_items (cpt_code);
