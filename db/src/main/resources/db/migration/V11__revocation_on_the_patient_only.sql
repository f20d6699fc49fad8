-- Whether a room is closed by a revocation is decided by one column, patients.consent_revoked_at,
-- and no longer kept a second time on each room. The message write locks the patient row (shared)
-- before the room rows, in the order a revocation takes them, so a revocation committed while a
-- send waits is seen: a locked row is read again once its lock is granted.
ALTER TABLE rooms DROP COLUMN closed_at;
