-- Erasure of a patient (GDPR Art. 17): the row stays as a tombstone that rooms and the audit trail
-- still point to, without name, birth date or insurance number; erased_at says when.
ALTER TABLE patients ADD COLUMN erased_at timestamptz;
ALTER TABLE patients ALTER COLUMN family_name DROP NOT NULL;
ALTER TABLE patients ALTER COLUMN given_name DROP NOT NULL;
ALTER TABLE patients ALTER COLUMN birth_date DROP NOT NULL;
ALTER TABLE patients ADD CONSTRAINT patients_identity_until_erased
    CHECK (erased_at IS NOT NULL
           OR (family_name IS NOT NULL AND given_name IS NOT NULL AND birth_date IS NOT NULL));
