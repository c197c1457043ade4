-- Tickets the bridge opened in Freshdesk: the source for GetTicket and ListOrderTickets. One row
-- per Freshdesk ticket; the external reference (also stored on the ticket in Freshdesk) is
-- unique, so a ticket is recorded once however often its creation is replayed.
CREATE TABLE tickets (
    ticket_id    bigint      PRIMARY KEY,
    order_id     text        NOT NULL,
    external_ref text        NOT NULL,
    url          text        NOT NULL,
    subject      text        NOT NULL,
    status       smallint    NOT NULL,
    priority     smallint    NOT NULL,
    ticket_type  text,
    tags         text[]      NOT NULL DEFAULT '{}',
    -- Tickets from attention events: the incident and the how-many-th ticket of it (a new one
    -- is opened when an agent resolved or closed the previous one).
    incident_id  text,
    generation   integer     NOT NULL DEFAULT 1,
    -- Tickets from CreateTicket calls: the caller's idempotency key.
    request_id   text,
    note_count   integer     NOT NULL DEFAULT 0,
    -- Freshdesk's creation time, and when the bridge recorded it.
    created_at   timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL,
    CONSTRAINT tickets_external_ref_key UNIQUE (external_ref)
);
CREATE INDEX tickets_order ON tickets (order_id, created_at, ticket_id);
CREATE UNIQUE INDEX tickets_incident_generation ON tickets (order_id, incident_id, generation)
    WHERE incident_id IS NOT NULL;
CREATE UNIQUE INDEX tickets_request ON tickets (request_id) WHERE request_id IS NOT NULL;

-- The ticket work queue: one row per CreateTicket request id ("req:<id>") and per attention
-- event ("evt:<event id>"). Rows of one order are worked on oldest first, by one worker at a
-- time (the journal's order lock). A row ends 'done' (ticket created or note added) or 'dead'
-- (dead letter: an operator lists and replays it).
CREATE TABLE work (
    id              bigserial   PRIMARY KEY,
    work_key        text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('request', 'event')),
    order_id        text        NOT NULL,
    incident_id     text,
    request_id      text,
    event_id        text,
    -- The validated ticket or attention event; personal data, so cleared once done.
    payload         jsonb,
    -- Hash of a request's content: the same request id with other content is refused.
    fingerprint     text,
    status          text        NOT NULL CHECK (status IN ('queued', 'done', 'dead')),
    attempts        integer     NOT NULL DEFAULT 0,
    rate_limited    integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    -- Partner errors without personal data (codes and fields only), and Freshdesk's field
    -- errors of a refused ticket (for the caller's BadRequest details).
    last_error      text,
    error_fields    jsonb,
    dead_reason     text CHECK (dead_reason IN ('rejected', 'exhausted', 'malformed')),
    ticket_id       bigint,
    replays         integer     NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    CONSTRAINT work_key_key UNIQUE (work_key)
);
CREATE INDEX work_queued_order ON work (order_id, id) WHERE status = 'queued';
CREATE INDEX work_queued_due ON work (next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX work_dead ON work (id) WHERE status = 'dead';
