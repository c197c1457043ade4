-- SE-04: who asked for each money-moving call (start, cancel, refund, manual payment): the
-- authenticated caller, written before the gateway acts, never a name the request carries.
CREATE TABLE caller_journal (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    caller      TEXT NOT NULL,
    method      TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    request_id  TEXT NOT NULL DEFAULT '',
    payment_id  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX caller_journal_by_tenant ON caller_journal (tenant_id, at);
