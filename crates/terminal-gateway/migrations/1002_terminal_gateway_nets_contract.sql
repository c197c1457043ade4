-- Nets as it really is (issue 15).
--
-- Terminals report times in their local time and Nets sends no currency: a terminal carries
-- both, required at registration (earlier rows were all Swiss).
ALTER TABLE terminals ADD COLUMN time_zone text NOT NULL DEFAULT 'Europe/Zurich';
ALTER TABLE terminals ALTER COLUMN time_zone DROP DEFAULT;

-- Payments and terminal refunds (return of goods) share the table, the journal and the
-- single-flight guarantees. A payment holds its terminal until Nets told how its transaction
-- ended (also after it timed out unconfirmed); `probe_until` makes lookups and voids
-- single-flight across replicas; `next_probe_at` and `probes` pace the revisits of a payment
-- that gave up waiting; `answer_lost_at` is when its purchase answer was lost (a lookup waits
-- a few seconds after it, as integrators do); `void_state` journals the automatic void of a
-- late approval (committed before the call, so it is never sent twice).
ALTER TABLE payments
    ADD COLUMN kind           text        NOT NULL DEFAULT 'purchase' CHECK (kind IN ('purchase', 'refund')),
    ADD COLUMN refund_of      uuid,
    ADD COLUMN nets_ref       text,
    ADD COLUMN time_zone      text,
    ADD COLUMN holds_terminal boolean     NOT NULL DEFAULT false,
    ADD COLUMN answer_lost_at timestamptz,
    ADD COLUMN probe_until    timestamptz,
    ADD COLUMN next_probe_at  timestamptz,
    ADD COLUMN probes         integer     NOT NULL DEFAULT 0,
    ADD COLUMN void_state     text CHECK (void_state IN ('requested', 'voided', 'refused', 'unknown'));

UPDATE payments SET holds_terminal = true WHERE state = 'waiting';
-- Earlier payments sent their id's 32 hex digits as orderId.
UPDATE payments SET nets_ref = replace(id::text, '-', '') WHERE method = 'terminal';
UPDATE payments p SET time_zone = t.time_zone FROM terminals t
    WHERE t.tenant_id = p.tenant_id AND t.terminal_id = p.terminal_id;

-- The orderId sent to Nets: a decimal number, the form NaviPartner sends in production.
CREATE SEQUENCE nets_order_ref;

-- TG-30: one payment holds a terminal at a time, across every replica (replaces the
-- waiting-only index: a payment given up on still holds its terminal).
DROP INDEX payments_one_waiting_per_terminal;
CREATE UNIQUE INDEX payments_one_holder_per_terminal ON payments (tenant_id, terminal_id) WHERE holds_terminal;
CREATE INDEX payments_revisit ON payments (next_probe_at) WHERE holds_terminal AND state <> 'waiting';
CREATE INDEX payments_refunds ON payments (refund_of) WHERE refund_of IS NOT NULL;
