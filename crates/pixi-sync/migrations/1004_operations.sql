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
