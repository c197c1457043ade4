-- Freshdesk's rate limit holds for the whole account, "irrespective of the number of agents or
-- IP addresses", so every replica's limiter takes its slots from here: per schedule ('calls',
-- 'creates') the theoretical arrival time of the next call (GCRA) and the pause after a 429.
-- Each reservation is one atomic UPDATE … RETURNING (freshdesk/limiter.rs).
CREATE TABLE rate_budget (
    schedule     text        PRIMARY KEY CHECK (schedule IN ('calls', 'creates')),
    tat          timestamptz,
    paused_until timestamptz
);

-- When each ticket creation (journal key) was last sent, in the service's clock, written just
-- before the call. Freshdesk's search finds a new ticket only minutes later, so the creation
-- probe trusts "not found" only once the attempt is older than FRESHDESK_INDEX_DELAY (TK-03).
CREATE TABLE create_attempts (
    journal_key text        PRIMARY KEY,
    sent_at     timestamptz NOT NULL
);
