-- External-operation journal: one row per call that changes something at a partner. The
-- intent is committed before the call; the outcome after it. Rows whose outcome is unknown
-- are resolved by asking the partner (a probe) before anything is retried.
CREATE TABLE journal (
    key           text        PRIMARY KEY,
    operation     text        NOT NULL,
    scope         text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('pending', 'unknown', 'not_done', 'succeeded', 'failed')),
    request       jsonb       NOT NULL,
    outcome       jsonb,
    error         text,
    attempts      integer     NOT NULL DEFAULT 0,
    probes        integer     NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    next_check_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX journal_open ON journal (next_check_at) WHERE status IN ('pending', 'unknown');
CREATE INDEX journal_scope ON journal (scope);
