-- Tenants and their configurations. Secrets (pixi and SMTP passwords, unzer private keys,
-- the webhook secret) are stored encrypted with XChaCha20-Poly1305 under the service key
-- (PIXI_SYNC_SECRET_KEY), bound to their row by the associated data; the error-page token
-- only as a SHA-256 hash.
CREATE TABLE tenants (
    id                    uuid        PRIMARY KEY,
    name                  text        NOT NULL,
    webhook_secret_enc    text        NOT NULL,
    error_page_token_hash bytea       NOT NULL,
    created_at            timestamptz NOT NULL,
    CONSTRAINT tenants_name_key UNIQUE (name)
);
CREATE UNIQUE INDEX tenants_error_page ON tenants (error_page_token_hash);

-- At most two per tenant (PX-01): enforced by counting under a lock of the tenant row.
CREATE TABLE pixi_apis (
    id            uuid        PRIMARY KEY,
    tenant_id     uuid        NOT NULL REFERENCES tenants (id),
    name          text        NOT NULL,
    endpoint      text        NOT NULL,
    username      text        NOT NULL,
    password_enc  text        NOT NULL,
    active        boolean     NOT NULL,
    timezone      text        NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT pixi_apis_name_key UNIQUE (tenant_id, name)
);

CREATE TABLE smtp_configs (
    tenant_id    uuid        PRIMARY KEY REFERENCES tenants (id),
    host         text        NOT NULL,
    port         integer     NOT NULL CHECK (port BETWEEN 1 AND 65535),
    tls_mode     text        NOT NULL CHECK (tls_mode IN ('none', 'starttls', 'implicit')),
    username     text        NOT NULL,
    password_enc text,
    sender       text        NOT NULL,
    recipient    text        NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- Keyed by (pixi API configuration, mandant, payment method) (PX-03).
CREATE TABLE payment_configs (
    id                uuid        PRIMARY KEY,
    tenant_id         uuid        NOT NULL REFERENCES tenants (id),
    pixi_api_id       uuid        NOT NULL REFERENCES pixi_apis (id),
    mandant           text        NOT NULL,
    payment_method    text        NOT NULL,
    active            boolean     NOT NULL,
    invoice_event     text        NOT NULL CHECK (char_length(invoice_event) BETWEEN 1 AND 3),
    return_event      text        NOT NULL CHECK (char_length(return_event) BETWEEN 1 AND 3),
    xml_tag           text        NOT NULL,
    tolerance_minor   bigint      NOT NULL CHECK (tolerance_minor BETWEEN 0 AND 10000),
    public_key        text        NOT NULL,
    private_key_enc   text        NOT NULL,
    mode              text        NOT NULL CHECK (mode IN ('standard', 'expert')),
    copied_from       uuid,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT payment_configs_key UNIQUE (pixi_api_id, mandant, payment_method)
);
CREATE INDEX payment_configs_public_key ON payment_configs (public_key);

-- Every change of configuration and every "problem solved" (PX-30), with who did it.
CREATE TABLE audit_log (
    id         bigserial   PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor      text        NOT NULL,
    action     text        NOT NULL,
    tenant_id  uuid,
    target     text        NOT NULL,
    detail     jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, at);
