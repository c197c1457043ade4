-- The worker's state. One row per order pixi-sync processes; progress is the domain's
-- persisted state machine (JSON), the money columns are the ceilings enforced here: a
-- movement reserves its amount in the same transaction that records its intent, under the
-- order row's lock, so two concurrent refunds cannot both pass.
CREATE TABLE orders (
    pixi_api_id        uuid        NOT NULL REFERENCES pixi_apis (id),
    order_nr           bigint      NOT NULL,
    tenant_id          uuid        NOT NULL REFERENCES tenants (id),
    payment_config_id  uuid        REFERENCES payment_configs (id),
    payment_method     text        NOT NULL,
    order_nr_external  text        NOT NULL DEFAULT '',
    payment_id         text        NOT NULL DEFAULT '',
    payment_type       text        NOT NULL DEFAULT '',
    mode               text        NOT NULL DEFAULT '',
    currency           text        NOT NULL DEFAULT 'EUR',
    order_total_minor  bigint      NOT NULL DEFAULT 0,
    pixi_status        text        NOT NULL DEFAULT '',
    state              text        NOT NULL DEFAULT 'waiting'
                       CHECK (state IN ('waiting', 'released', 'locked', 'completed', 'not_processed')),
    problem            text        NOT NULL DEFAULT 'none' CHECK (problem IN ('none', 'hint', 'error')),
    progress           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    limit_minor        bigint      NOT NULL DEFAULT 0,
    charged_minor      bigint      NOT NULL DEFAULT 0,
    refunded_minor     bigint      NOT NULL DEFAULT 0,
    reversed_minor     bigint      NOT NULL DEFAULT 0,
    next_check_at      timestamptz,
    attempts           integer     NOT NULL DEFAULT 0,
    last_error         text,
    last_action        text        NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (pixi_api_id, order_nr),
    CONSTRAINT orders_money_non_negative CHECK (charged_minor >= 0 AND refunded_minor >= 0 AND reversed_minor >= 0),
    CONSTRAINT orders_refund_ceiling CHECK (refunded_minor <= charged_minor),
    CONSTRAINT orders_authorisation_ceiling CHECK (limit_minor = 0 OR charged_minor + reversed_minor <= limit_minor)
);
CREATE INDEX orders_due ON orders (pixi_api_id, next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX orders_payment ON orders (payment_id);
CREATE INDEX orders_dashboard ON orders (tenant_id, updated_at DESC);

-- Every money movement pixi-sync asked unzer for, keyed like its journal entry.
CREATE TABLE movements (
    key            text        PRIMARY KEY,
    pixi_api_id    uuid        NOT NULL,
    order_nr       bigint      NOT NULL,
    kind           text        NOT NULL CHECK (kind IN ('charge', 'refund', 'reversal', 'shipment')),
    document       text        NOT NULL,
    amount_minor   bigint      NOT NULL CHECK (amount_minor >= 0),
    currency       text        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    transaction_id text,
    created_at     timestamptz NOT NULL,
    settled_at     timestamptz,
    FOREIGN KEY (pixi_api_id, order_nr) REFERENCES orders (pixi_api_id, order_nr)
);
CREATE INDEX movements_order ON movements (pixi_api_id, order_nr);

-- What pixi-sync did and saw per order (dashboard history).
CREATE TABLE order_history (
    id          bigserial   PRIMARY KEY,
    pixi_api_id uuid        NOT NULL,
    order_nr    bigint      NOT NULL,
    at          timestamptz NOT NULL,
    action      text        NOT NULL,
    detail      text        NOT NULL DEFAULT ''
);
CREATE INDEX order_history_order ON order_history (pixi_api_id, order_nr, id);

-- One row per incident (PX-32): the id is stable per (configuration, order, code, document),
-- so retries count occurrences instead of creating incidents; one mail each.
CREATE TABLE incidents (
    id           text        PRIMARY KEY,
    tenant_id    uuid        NOT NULL REFERENCES tenants (id),
    pixi_api_id  uuid        NOT NULL,
    order_nr     bigint      NOT NULL,
    severity     text        NOT NULL CHECK (severity IN ('error', 'hint')),
    code         text        NOT NULL,
    document     text,
    title        text        NOT NULL,
    description  text        NOT NULL,
    first_seen   timestamptz NOT NULL,
    last_seen    timestamptz NOT NULL,
    occurrences  integer     NOT NULL DEFAULT 1,
    mail_state   text        NOT NULL DEFAULT 'pending' CHECK (mail_state IN ('pending', 'sending', 'sent', 'no_config')),
    mail_attempts integer    NOT NULL DEFAULT 0,
    mail_next_at timestamptz,
    mailed_at    timestamptz,
    solved_at    timestamptz,
    solved_by    text
);
CREATE INDEX incidents_order ON incidents (pixi_api_id, order_nr);
CREATE INDEX incidents_mail ON incidents (mail_next_at) WHERE mail_state IN ('pending', 'sending');
CREATE INDEX incidents_open ON incidents (tenant_id) WHERE solved_at IS NULL;

-- Configuration problems found in pixi (PX-26), per pixi API configuration and method.
CREATE TABLE config_problems (
    pixi_api_id    uuid        NOT NULL REFERENCES pixi_apis (id),
    payment_method text        NOT NULL,
    code           text        NOT NULL,
    tenant_id      uuid        NOT NULL REFERENCES tenants (id),
    message        text        NOT NULL,
    first_seen     timestamptz NOT NULL,
    last_seen      timestamptz NOT NULL,
    resolved_at    timestamptz,
    PRIMARY KEY (pixi_api_id, payment_method, code)
);

-- Per pixi API configuration: the change-feed cursor (pixi local time, as pixi returned it),
-- scan and reconciliation schedule, and the backoff after pixi outages (PX-42).
CREATE TABLE sync_state (
    pixi_api_id        uuid        PRIMARY KEY REFERENCES pixi_apis (id),
    changed_from       text,
    next_full_scan_at  timestamptz,
    next_method_check_at timestamptz,
    next_reconcile_at  timestamptz,
    backoff_until      timestamptz,
    failures           integer     NOT NULL DEFAULT 0,
    last_error         text,
    last_run_at        timestamptz
);

-- The lease per (tenant, pixi API configuration) (PX-41): one replica works on it at a time;
-- a dead holder's lease expires.
CREATE TABLE leases (
    pixi_api_id uuid        PRIMARY KEY REFERENCES pixi_apis (id),
    holder      text        NOT NULL,
    acquired_at timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);

-- Webhook triggers (treated as "look again now", never as state).
CREATE TABLE triggers (
    id          bigserial   PRIMARY KEY,
    tenant_id   uuid        NOT NULL,
    payment_id  text        NOT NULL,
    event       text        NOT NULL,
    received_at timestamptz NOT NULL
);

-- Reconciliation runs and their mismatches (PX-44).
CREATE TABLE reconciliation_runs (
    id             uuid        PRIMARY KEY,
    tenant_id      uuid        NOT NULL REFERENCES tenants (id),
    pixi_api_id    uuid        NOT NULL REFERENCES pixi_apis (id),
    trigger        text        NOT NULL CHECK (trigger IN ('scheduled', 'on_demand')),
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz,
    orders_checked integer     NOT NULL DEFAULT 0,
    mismatches     integer     NOT NULL DEFAULT 0
);
CREATE INDEX reconciliation_runs_latest ON reconciliation_runs (pixi_api_id, started_at DESC);

CREATE TABLE mismatches (
    run_id        uuid        NOT NULL REFERENCES reconciliation_runs (id),
    order_nr      bigint      NOT NULL,
    document      text        NOT NULL,
    code          text        NOT NULL,
    currency      text        NOT NULL,
    pixi_minor    bigint      NOT NULL,
    unzer_minor   bigint      NOT NULL,
    booked_minor  bigint      NOT NULL,
    description   text        NOT NULL,
    incident_id   text        NOT NULL,
    PRIMARY KEY (run_id, order_nr, document, code)
);
