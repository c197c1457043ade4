-- Transactional outbox: services insert events in the transaction that changes their state;
-- the relay claims unsent rows with FOR UPDATE SKIP LOCKED, publishes them with
-- Nats-Msg-Id = id, and marks them sent. Sent rows stay for the replay horizon.
CREATE TABLE outbox (
    seq             bigserial PRIMARY KEY,
    id              uuid        NOT NULL UNIQUE,
    subject         text        NOT NULL,
    order_id        text        NOT NULL,
    event_type      text        NOT NULL,
    envelope        bytea       NOT NULL,
    headers         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
CREATE INDEX outbox_order ON outbox (order_id, seq);
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- Wake the relay as soon as an event commits.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox_' || TG_TABLE_SCHEMA, '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
