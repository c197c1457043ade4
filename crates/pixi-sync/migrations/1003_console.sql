-- The console's users (CN-01): the merchant's staff, each bound to one tenant, or (tenant_id
-- NULL) a payops operator for every tenant. Roles map onto the permission names of pixi-sync's
-- gRPC API (src/domain/console.rs). Passwords as argon2id PHC strings; sessions stored by the
-- SHA-256 of their token, ending after an idle time and after an absolute time (SE-06).
CREATE TABLE console_users (
    id            bigserial   PRIMARY KEY,
    tenant_id     uuid        REFERENCES tenants (id),
    username      text        NOT NULL,
    display_name  text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    password_hash text        NOT NULL,
    active        boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT console_users_username_key UNIQUE (username)
);
CREATE INDEX console_users_tenant ON console_users (tenant_id);

CREATE TABLE console_sessions (
    token_hash   bytea       PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES console_users (id),
    csrf_token   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

-- One row per failed login; key is 'user:<name>' or 'client:<address>'.
CREATE TABLE console_login_failures (
    id  bigserial   PRIMARY KEY,
    key text        NOT NULL,
    at  timestamptz NOT NULL
);
CREATE INDEX console_login_failures_key ON console_login_failures (key, at);
