-- Index line items by procedure code: the UNSAFE way.
-- A plain CREATE INDEX blocks every write to claim_line_items until the build ends.
CREATE INDEX ix_claim_line_items_cpt_code ON claim_line_items (cpt_code);
