-- Per-tenant Nets Connect@Cloud logins (TG-01). The password is sealed with
-- XChaCha20-Poly1305 under CREDENTIALS_KEY (the tenant id is the associated data), so a
-- database dump alone does not reveal it.
CREATE TABLE nets_credentials (
    tenant_id       text        PRIMARY KEY,
    username        text        NOT NULL,
    password_sealed bytea       NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- Registered terminals (TG-02) with their troubleshooting data (TG-24).
CREATE TABLE terminals (
    tenant_id            text        NOT NULL,
    terminal_id          text        NOT NULL,
    display_name         text        NOT NULL,
    pos                  text,
    active               boolean     NOT NULL,
    currency             text        NOT NULL,
    last_error           text,
    last_error_at        timestamptz,
    consecutive_failures integer     NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, terminal_id)
);

-- The terminal each workstation last used (TG-06).
CREATE TABLE workstations (
    tenant_id      text        NOT NULL,
    workstation_id text        NOT NULL,
    terminal_id    text        NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, workstation_id)
);

-- Payments. The row is also the purchase call's intent record: it commits (WAITING) before
-- the terminal is asked, and a payment whose call was lost is resolved by reading the
-- terminal state and then the last result (refresh), never by starting again.
CREATE TABLE payments (
    id               uuid        PRIMARY KEY,
    tenant_id        text        NOT NULL,
    request_id       text        NOT NULL,
    order_id         text        NOT NULL,
    amount_minor     bigint      NOT NULL CHECK (amount_minor > 0),
    currency         text        NOT NULL,
    terminal_id      text,
    workstation_id   text,
    method           text        NOT NULL CHECK (method IN ('terminal', 'manual')),
    state            text        NOT NULL
        CHECK (state IN ('waiting', 'approved', 'declined', 'cancelled', 'timed_out', 'failed')),
    outcome_reason   text,
    outcome_detail   text,
    cancel_requested text CHECK (cancel_requested IN ('operator', 'timeout')),
    card             jsonb,
    late_approval    jsonb,
    version          bigint      NOT NULL,
    deadline         timestamptz,
    -- Which gateway instance tracks the waiting payment, and until when its lease runs.
    owner            text,
    lease_until      timestamptz,
    -- The purchase call's answer was lost: the tracker polls the terminal instead.
    detached         boolean     NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT payments_request_unique UNIQUE (tenant_id, request_id)
);

-- TG-30: at most one payment in progress per terminal, across every replica.
CREATE UNIQUE INDEX payments_one_waiting_per_terminal ON payments (tenant_id, terminal_id)
    WHERE state = 'waiting';
-- The supervisor's scan: waiting payments only.
CREATE INDEX payments_waiting ON payments (deadline) WHERE state = 'waiting';
CREATE INDEX payments_order ON payments (tenant_id, order_id, created_at);
