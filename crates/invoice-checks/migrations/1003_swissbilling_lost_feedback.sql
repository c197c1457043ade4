-- An order whose browser return and post-sale request never arrived is looked up by ORDERID
-- with growing intervals (`lookups` so far, the next one not before `next_lookup_at`).
ALTER TABLE sb_orders ADD COLUMN lookups integer NOT NULL DEFAULT 0;
ALTER TABLE sb_orders ADD COLUMN next_lookup_at timestamptz;

-- A maintenance request whose outcome stayed unknown is handed to a person once.
ALTER TABLE sb_maintenance ADD COLUMN escalated_at timestamptz;
