-- Inbox: one row per (consumer, event) handled. It commits with the handler's effect, so a
-- redelivered event finds its row and has no second effect. outcome says whether the event
-- took effect ('done') or ended in the dead-letter list ('dead').
CREATE TABLE inbox (
    consumer   text        NOT NULL,
    event_id   text        NOT NULL,
    outcome    text        NOT NULL CHECK (outcome IN ('done', 'dead')),
    handled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Events a consumer could not handle after its allowed attempts (or could not decode).
CREATE TABLE dead_letters (
    id          bigserial PRIMARY KEY,
    consumer    text        NOT NULL,
    event_id    text        NOT NULL,
    subject     text        NOT NULL,
    order_id    text,
    payload     bytea       NOT NULL,
    error       text        NOT NULL,
    attempts    integer     NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz,
    UNIQUE (consumer, event_id)
);
