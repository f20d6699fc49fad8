-- The audit chain becomes keyed: rows written from now on carry an HMAC-SHA256 under a key kept
-- outside the database (scheme 2, see AuditLog). Rows written before keep their plain SHA-256
-- (scheme 1); the first keyed row is a genesis event that links to the last of them.
-- A column added with a constant default rewrites no row, so the append-only triggers stay as
-- they are and fire for nothing here. Dropping the default afterwards keeps 1 for the old rows
-- and makes every writer name its scheme.
ALTER TABLE audit_events ADD COLUMN scheme smallint NOT NULL DEFAULT 1;
ALTER TABLE audit_events ALTER COLUMN scheme DROP DEFAULT;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_scheme CHECK (scheme IN (1, 2));
