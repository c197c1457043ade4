-- Transactional outbox: services insert events in the transaction that changes their state;
-- the relay claims unsent rows with FOR UPDATE SKIP LOCKED, publishes them with
-- Nats-Msg-Id = id, and marks them sent. Sent rows stay for the replay horizon.
CREATE TABLE outbox (
    seq             bigserial PRIMARY KEY,
    id              uuid        NOT NULL,
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
-- Only unsent rows are looked up on the hot path; every extra index costs each event's insert
-- and the relay's update. Replays by order and pruning scan (rarely, off the hot path).
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
