-- Mails of incidents (PX-32): only errors are mailed; hints are shown (dashboard, error page)
-- and never mailed ('not_mailed'). An error raised before the tenant had an SMTP configuration
-- waits ('no_config') and is mailed once one is saved; open ones of tenants that have one by now
-- go out at the next pass.
ALTER TABLE incidents DROP CONSTRAINT incidents_mail_state_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_mail_state_check
    CHECK (mail_state IN ('pending', 'sending', 'sent', 'no_config', 'not_mailed'));
UPDATE incidents SET mail_state = 'not_mailed', mail_next_at = NULL
    WHERE severity = 'hint' AND mail_state IN ('pending', 'sending', 'no_config');
UPDATE incidents SET mail_state = 'pending', mail_next_at = now(), mail_attempts = 0
    WHERE severity = 'error' AND mail_state = 'no_config' AND solved_at IS NULL
      AND tenant_id IN (SELECT tenant_id FROM smtp_configs);

-- The scheduled reconciliation (PX-44) is a job of its own: a run row is its state — the orders
-- changed since `since` are checked in order-number order, `cursor_order_nr` is the last one
-- done, so it resumes where it stopped (pixi failing, the quiet window, a replica dying). The
-- replica that works on it holds its lease (`holder` until `lease_until`); a step that failed
-- waits until `next_try_at`. At most one open scheduled run per pixi API configuration.
ALTER TABLE reconciliation_runs
    ADD COLUMN since           timestamptz,
    ADD COLUMN cursor_order_nr bigint      NOT NULL DEFAULT 0,
    ADD COLUMN holder          text,
    ADD COLUMN lease_until     timestamptz,
    ADD COLUMN failures        integer     NOT NULL DEFAULT 0,
    ADD COLUMN next_try_at     timestamptz,
    ADD COLUMN last_error      text;
CREATE UNIQUE INDEX reconciliation_runs_open ON reconciliation_runs (pixi_api_id)
    WHERE finished_at IS NULL AND trigger = 'scheduled';

-- Incidents of a tenant's pixi API configuration, not of an order: a discovery call that fails
-- for good (not installed, answers without a needed column), credentials pixi refuses, a
-- payment configuration whose Mandant never matches. One row per (configuration, code, subject)
-- with a stable id (PXT-…); open while the cause lasts (resolved when the call works again),
-- mailed once like an order's error (same mail states), shown on the error page and the console.
CREATE TABLE api_incidents (
    id            text        PRIMARY KEY,
    tenant_id     uuid        NOT NULL REFERENCES tenants (id),
    pixi_api_id   uuid        NOT NULL REFERENCES pixi_apis (id),
    code          text        NOT NULL,
    subject       text        NOT NULL DEFAULT '',
    title         text        NOT NULL,
    description   text        NOT NULL,
    first_seen    timestamptz NOT NULL,
    last_seen     timestamptz NOT NULL,
    occurrences   integer     NOT NULL DEFAULT 1,
    resolved_at   timestamptz,
    mail_state    text        NOT NULL DEFAULT 'pending'
                  CHECK (mail_state IN ('pending', 'sending', 'sent', 'no_config')),
    mail_attempts integer     NOT NULL DEFAULT 0,
    mail_next_at  timestamptz,
    mailed_at     timestamptz,
    CONSTRAINT api_incidents_key UNIQUE (pixi_api_id, code, subject)
);
CREATE INDEX api_incidents_open ON api_incidents (tenant_id) WHERE resolved_at IS NULL;
CREATE INDEX api_incidents_mail ON api_incidents (mail_next_at) WHERE mail_state IN ('pending', 'sending');

-- pixi load (the seed asks for care): a released order nothing happens to is re-read less and
-- less often (`quiet_follows` looks without a change so far, reset by any change), and one that
-- waits for a person is not re-read at all until pixi, unzer or an operator moves it.
ALTER TABLE orders ADD COLUMN quiet_follows integer NOT NULL DEFAULT 0;

-- pixi calls per tenant and minute, as each replica counted them (the console shows the sums;
-- rows older than a day are pruned).
CREATE TABLE pixi_call_minutes (
    tenant_id uuid        NOT NULL REFERENCES tenants (id),
    minute    timestamptz NOT NULL,
    holder    text        NOT NULL,
    calls     bigint      NOT NULL,
    PRIMARY KEY (tenant_id, minute, holder)
);
