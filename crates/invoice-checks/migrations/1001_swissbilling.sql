-- SwissBilling (invoice on account through PostFinance): prepared payment pages, transactions
-- with their history levels (PAYIDSUB), and maintenance requests. Money is in minor units.

-- An order whose payment page was prepared. No personal data: the digest tells whether a
-- repeated PreparePaymentPage carries the same order.
CREATE TABLE sb_orders (
    order_id     text        PRIMARY KEY,
    tenant       text        NOT NULL,
    env          text        NOT NULL CHECK (env IN ('test', 'prod')),
    amount_minor bigint      NOT NULL CHECK (amount_minor > 0),
    currency     text        NOT NULL,
    item_count   integer     NOT NULL,
    digest       text        NOT NULL,
    created_at   timestamptz NOT NULL
);

-- A PostFinance transaction (PAYID). The *_committed columns mirror the history levels plus
-- the requests in flight; the constraints are the money ceilings (IC-11), enforced in the
-- transaction that reserves an amount, under a row lock.
CREATE TABLE sb_transactions (
    order_id                text        PRIMARY KEY REFERENCES sb_orders (order_id),
    tenant                  text        NOT NULL,
    env                     text        NOT NULL CHECK (env IN ('test', 'prod')),
    payid                   bigint      NOT NULL,
    payment_method          text        NOT NULL,
    currency                text        NOT NULL,
    authorised_minor        bigint      NOT NULL,
    capture_committed_minor bigint      NOT NULL DEFAULT 0,
    delete_committed_minor  bigint      NOT NULL DEFAULT 0,
    captured_final_minor    bigint      NOT NULL DEFAULT 0,
    refund_committed_minor  bigint      NOT NULL DEFAULT 0,
    status_code             integer     NOT NULL,
    status_name             text        NOT NULL,
    flagged                 boolean     NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    CONSTRAINT sb_transactions_payid UNIQUE (env, payid),
    CONSTRAINT sb_amounts_not_negative CHECK (
        capture_committed_minor >= 0 AND delete_committed_minor >= 0
        AND captured_final_minor >= 0 AND refund_committed_minor >= 0),
    CONSTRAINT sb_capture_ceiling CHECK (capture_committed_minor + delete_committed_minor <= authorised_minor),
    CONSTRAINT sb_final_within_captured CHECK (captured_final_minor <= capture_committed_minor),
    CONSTRAINT sb_refund_ceiling CHECK (refund_committed_minor <= captured_final_minor)
);

-- History levels: 0 is the order, 1… the maintenance operations. `open` marks pending and
-- uncertain statuses that the refresh worker follows up.
CREATE TABLE sb_levels (
    order_id     text        NOT NULL REFERENCES sb_transactions (order_id),
    payidsub     integer     NOT NULL CHECK (payidsub >= 0),
    kind         text        NOT NULL,
    operation    text        NOT NULL,
    amount_minor bigint      NOT NULL,
    status_code  integer     NOT NULL,
    status_name  text        NOT NULL,
    flagged      boolean     NOT NULL,
    open         boolean     NOT NULL,
    recorded_at  timestamptz NOT NULL,
    settled_at   timestamptz,
    PRIMARY KEY (order_id, payidsub)
);
CREATE INDEX sb_levels_open ON sb_levels (order_id) WHERE open;

-- Maintenance requests, one per (order, caller request id). 'reserved' and 'unknown' hold their
-- amount in the transaction's committed columns until the outcome is known.
CREATE TABLE sb_maintenance (
    order_id     text        NOT NULL REFERENCES sb_transactions (order_id),
    request_id   text        NOT NULL,
    operation    text        NOT NULL,
    amount_minor bigint      NOT NULL CHECK (amount_minor > 0),
    phase        text        NOT NULL CHECK (phase IN ('reserved', 'unknown', 'accepted', 'already_applied', 'refused')),
    journal_key  text        NOT NULL UNIQUE,
    baseline     integer     NOT NULL,
    payidsub     integer,
    ncerror      text        NOT NULL DEFAULT '',
    ncerror_plus text        NOT NULL DEFAULT '',
    requested_at timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (order_id, request_id)
);
CREATE INDEX sb_maintenance_in_flight ON sb_maintenance (updated_at) WHERE phase IN ('reserved', 'unknown');

-- Security events: bad signatures on returns, tampered returns, refused role checks.
CREATE TABLE security_events (
    id       bigserial   PRIMARY KEY,
    kind     text        NOT NULL,
    tenant   text        NOT NULL DEFAULT '',
    order_id text        NOT NULL DEFAULT '',
    actor    text        NOT NULL DEFAULT '',
    detail   text        NOT NULL,
    at       timestamptz NOT NULL
);
