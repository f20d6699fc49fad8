-- Messages to many patients (docs/outreach.md), part one: the postal address letters need, and
-- the patient's contact permissions per channel and purpose.

-- The postal address a letter goes to (window envelope, DIN 5008); all optional.
ALTER TABLE patients ADD COLUMN salutation text CHECK (length(salutation) BETWEEN 1 AND 50);
ALTER TABLE patients ADD COLUMN street text CHECK (length(street) BETWEEN 1 AND 200);
ALTER TABLE patients ADD COLUMN postcode text CHECK (length(postcode) BETWEEN 1 AND 20);
ALTER TABLE patients ADD COLUMN city text CHECK (length(city) BETWEEN 1 AND 100);

-- Purposes an organisation adds to the defaults (appointment_reminder, recall, practice_news).
CREATE TABLE contact_purposes (
    organisation_id  uuid        NOT NULL REFERENCES organisations (id),
    code             text        NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    label            text        NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    created_by       uuid        NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (organisation_id, code)
);

-- The history of each permission (patient x channel x purpose): a grant with the day the patient
-- signed and the signed form, or a withdrawal with its day. Rows are only ever added; the newest
-- row of a patient, channel and purpose is where the permission stands.
CREATE TABLE contact_permissions (
    seq              bigserial   PRIMARY KEY,
    id               uuid        NOT NULL UNIQUE,
    patient_id       uuid        NOT NULL REFERENCES patients (id),
    channel          text        NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
    purpose          text        NOT NULL CHECK (purpose ~ '^[a-z][a-z0-9_]{1,39}$'),
    kind             text        NOT NULL CHECK (kind IN ('granted', 'withdrawn')),
    effective_date   date        NOT NULL,
    source           text        NOT NULL CHECK (source IN ('signed_form', 'staff', 'opt_out_link')),
    file_id          uuid        REFERENCES stored_files (id),
    recorded_by      uuid        REFERENCES users (id),
    recorded_at      timestamptz NOT NULL,
    CHECK (kind = 'withdrawn' OR (source = 'signed_form' AND file_id IS NOT NULL)),
    CHECK (source <> 'opt_out_link' OR (kind = 'withdrawn' AND recorded_by IS NULL))
);

CREATE INDEX contact_permissions_patient_idx ON contact_permissions (patient_id, channel, purpose, seq);

-- History is never overwritten: no row is changed. (Rows go only with the patient's erasure.)
CREATE FUNCTION contact_permissions_insert_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'contact permissions are kept as history and never changed';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER contact_permissions_no_update BEFORE UPDATE ON contact_permissions
    FOR EACH ROW EXECUTE FUNCTION contact_permissions_insert_only();
