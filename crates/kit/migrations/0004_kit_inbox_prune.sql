-- Inbox rows are kept for the replay horizon only (kit::bus::consumer prunes them). A BRIN index
-- on handled_at finds the old ones without a B-tree to maintain on every handled event: rows are
-- appended in handled_at order, which is what BRIN summarises well.
CREATE INDEX inbox_handled_at_brin ON inbox USING brin (handled_at);
