-- Manual payments: merchants (payment systems of kind "manual"), offers, payments and their
-- history. Money is in minor units; the commission is an exact decimal kept as text.

CREATE TABLE mp_merchants (
    merchant_id          text        PRIMARY KEY,
    name                 text        NOT NULL,
    description          text        NOT NULL,
    image_url            text        NOT NULL,
    commission_percent   text        NOT NULL,
    fixed_fee_minor      bigint      NOT NULL CHECK (fixed_fee_minor >= 0),
    fixed_fee_currency   text        NOT NULL,
    account_currency     text        NOT NULL,
    fallback_currency    text        NOT NULL,
    supported_currencies text[]      NOT NULL,
    comment_hint         text        NOT NULL,
    updated_at           timestamptz NOT NULL
);

CREATE TABLE mp_offers (
    offer_id          text        PRIMARY KEY,
    name              text        NOT NULL,
    payment_system_id text        NOT NULL,
    prices            jsonb       NOT NULL,
    confirmation_days integer     NOT NULL CHECK (confirmation_days BETWEEN 1 AND 365),
    updated_at        timestamptz NOT NULL
);

CREATE TABLE mp_payments (
    order_id         text        PRIMARY KEY,
    request_id       text        NOT NULL UNIQUE,
    offer_id         text        NOT NULL REFERENCES mp_offers (offer_id),
    merchant_id      text        NOT NULL REFERENCES mp_merchants (merchant_id),
    customer_id      text        NOT NULL,
    price_minor      bigint      NOT NULL CHECK (price_minor > 0),
    currency         text        NOT NULL,
    payment_date     date        NOT NULL,
    customer_comment text        NOT NULL,
    state            text        NOT NULL CHECK (state IN ('open', 'approved', 'completed', 'rejected', 'refunded')),
    deadline         timestamptz NOT NULL,
    created_by       text        NOT NULL,
    manager_comment  text        NOT NULL DEFAULT '',
    contact_email    text        NOT NULL DEFAULT '',
    contact_phone    text        NOT NULL DEFAULT '',
    fees             jsonb,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX mp_payments_open_deadline ON mp_payments (deadline) WHERE state = 'open';
CREATE INDEX mp_payments_listing ON mp_payments (created_at DESC, order_id);

CREATE TABLE mp_history (
    id         bigserial   PRIMARY KEY,
    order_id   text        NOT NULL REFERENCES mp_payments (order_id),
    from_state text        NOT NULL,
    to_state   text        NOT NULL,
    actor      text        NOT NULL,
    note       text        NOT NULL,
    at         timestamptz NOT NULL
);
CREATE INDEX mp_history_order ON mp_history (order_id, id);
