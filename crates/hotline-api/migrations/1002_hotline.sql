-- The audit log (HL-02, HL-43): every read of personal data and every write, refusals too.
CREATE TABLE audit_log (
    id      bigserial   PRIMARY KEY,
    at      timestamptz NOT NULL,
    actor   text        NOT NULL,
    role    text        NOT NULL,
    action  text        NOT NULL,
    target  text        NOT NULL,
    outcome text        NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
    details jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- B2C lookups: the form and PGW's answer, kept (personal data, pruned after the retention)
-- so the ticket says exactly what the agent saw.
CREATE TABLE lookups (
    id         uuid        PRIMARY KEY,
    actor      text        NOT NULL,
    created_at timestamptz NOT NULL,
    form       jsonb       NOT NULL,
    outcome    jsonb       NOT NULL
);
CREATE INDEX lookups_created ON lookups (created_at);

-- Codes generated through the hotline (HL-13), keyed by the journal key of the generation,
-- so recording one is idempotent and emits its event once.
CREATE TABLE code_generations (
    key                text        PRIMARY KEY,
    transaction_id     bigint      NOT NULL,
    generation_id      bigint      NOT NULL,
    device_b_code      text        NOT NULL,
    device_internal_id text        NOT NULL,
    amount_minor       bigint      NOT NULL,
    currency           text        NOT NULL,
    valid_until        timestamptz NOT NULL,
    generated_at       timestamptz NOT NULL,
    generated_by       text        NOT NULL,
    recorded_at        timestamptz NOT NULL
);
CREATE INDEX code_generations_tx ON code_generations (transaction_id);

-- Tickets the hotline opened through the ticketing bridge.
CREATE TABLE tickets (
    request_id text        PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('b2c', 'b2b')),
    order_id   text        NOT NULL,
    ticket_id  bigint      NOT NULL,
    url        text        NOT NULL,
    actor      text        NOT NULL,
    created_at timestamptz NOT NULL
);

-- The order timeline read model (HL-40): every event of every service, by order.
CREATE TABLE timeline_events (
    event_id    text        PRIMARY KEY,
    order_id    text        NOT NULL,
    source      text        NOT NULL,
    event_type  text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    summary     text        NOT NULL,
    subject     text        NOT NULL
);
CREATE INDEX timeline_events_order ON timeline_events (order_id, occurred_at, event_id);
