-- A room closed by its patient's revocation says so on its own row. The message write checks the
-- room row it locks, in one statement: a revocation that commits while a send waits for that lock
-- is seen, because the waiting statement re-reads the locked row.
ALTER TABLE rooms ADD COLUMN closed_at timestamptz;

UPDATE rooms r SET closed_at = p.consent_revoked_at
  FROM patients p
 WHERE p.id = r.patient_id AND p.consent_revoked_at IS NOT NULL;
