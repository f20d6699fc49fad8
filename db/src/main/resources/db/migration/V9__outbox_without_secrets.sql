-- A mail or fax that is done with (sent or given up) keeps no set-password link and no invitation
-- code in the outbox: the server removes them when a row is done, and this removes them from rows
-- that were done before it did so for every mail. What the status views show (recipient, status,
-- attempts, times, last error) stays.
UPDATE outbox SET payload = payload - 'text' - 'secret'
 WHERE channel = 'mail' AND status IN ('sent', 'failed');

UPDATE outbox SET payload = payload - 'code'
 WHERE channel = 'fax' AND status IN ('sent', 'failed');
