-- Notes recorded through RecordNote (the state change) and the consumer's read model.
CREATE TABLE notes (
    id         bigserial PRIMARY KEY,
    order_id   text        NOT NULL,
    text       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE note_counts (
    order_id text   PRIMARY KEY,
    count    bigint NOT NULL
);
