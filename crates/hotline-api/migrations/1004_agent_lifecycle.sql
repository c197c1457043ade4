-- SE-05 / SE-06: sessions end after an idle time (last_seen_at), and the throttle keys are now
-- 'pair:<name>|<client>' (one name from one address) and 'client:<address>' (all names from
-- one address); old 'user:<name>' rows simply age out.
ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz;
UPDATE sessions SET last_seen_at = created_at;
ALTER TABLE sessions ALTER COLUMN last_seen_at SET NOT NULL;
CREATE INDEX sessions_agent ON sessions (agent_id);
