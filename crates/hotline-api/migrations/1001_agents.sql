-- Agents of the hotline portal (HL-01 … HL-03): argon2id password hashes (PHC strings),
-- sessions stored by the SHA-256 of their token, and login failures for the throttle.
CREATE TABLE agents (
    id            bigserial   PRIMARY KEY,
    username      text        NOT NULL,
    display_name  text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('standard', 'admin')),
    password_hash text        NOT NULL,
    active        boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL,
    CONSTRAINT agents_username_key UNIQUE (username)
);

CREATE TABLE sessions (
    token_hash bytea       PRIMARY KEY,
    agent_id   bigint      NOT NULL REFERENCES agents (id),
    kind       text        NOT NULL CHECK (kind IN ('web', 'api')),
    csrf_token text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- One row per failed attempt; key is 'user:<name>' or 'client:<ip>'.
CREATE TABLE login_failures (
    id  bigserial   PRIMARY KEY,
    key text        NOT NULL,
    at  timestamptz NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);
