-- Patients, their consent documents, patient rooms, stored files and the hash-chained audit trail.

CREATE TABLE patients (
    id                  uuid PRIMARY KEY,
    organisation_id     uuid        NOT NULL REFERENCES organisations (id),
    family_name         text        NOT NULL CHECK (length(family_name) BETWEEN 1 AND 200),
    given_name          text        NOT NULL CHECK (length(given_name) BETWEEN 1 AND 200),
    birth_date          date        NOT NULL,
    insurance_number    text,
    created_by          uuid        NOT NULL REFERENCES users (id),
    created_at          timestamptz NOT NULL,
    -- set once the patient revoked their consent; never cleared
    consent_revoked_at  timestamptz
);

CREATE INDEX patients_name_idx ON patients (organisation_id, lower(family_name), lower(given_name));
CREATE INDEX patients_birth_date_idx ON patients (organisation_id, birth_date);

-- Documents kept in the file store under the data folder; the row is their catalogue entry.
CREATE TABLE stored_files (
    id           uuid PRIMARY KEY,
    media_type   text        NOT NULL,
    size_bytes   bigint      NOT NULL,
    sha256       bytea       NOT NULL,
    file_name    text,
    created_by   uuid        NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL
);

-- One row per uploaded version; the newest active one is the patient's consent.
CREATE TABLE consents (
    id                   uuid PRIMARY KEY,
    patient_id           uuid        NOT NULL REFERENCES patients (id),
    version              integer     NOT NULL,
    status               text        NOT NULL CHECK (status IN ('active', 'inactive')),
    file_id              uuid        NOT NULL REFERENCES stored_files (id),
    uploaded_by          uuid        NOT NULL REFERENCES users (id),
    uploaded_at          timestamptz NOT NULL,
    revoked_at           timestamptz,
    revoked_by           uuid        REFERENCES users (id),
    revocation_date      date,
    revocation_file_id   uuid        REFERENCES stored_files (id),
    UNIQUE (patient_id, version)
);

CREATE TABLE consent_organisations (
    consent_id       uuid NOT NULL REFERENCES consents (id),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (consent_id, organisation_id)
);

ALTER TABLE rooms ADD COLUMN patient_id uuid REFERENCES patients (id);
ALTER TABLE rooms ADD CONSTRAINT rooms_patient_kind CHECK ((kind = 'patient') = (patient_id IS NOT NULL));
CREATE INDEX rooms_patient_idx ON rooms (patient_id) WHERE patient_id IS NOT NULL;

-- Append-only; each row carries the hash of the one before it (see AuditLog).
CREATE TABLE audit_events (
    id               bigserial PRIMARY KEY,
    occurred_at      timestamptz NOT NULL,
    actor_user_id    uuid,
    actor_org_id     uuid,
    organisation_id  uuid,
    action           text        NOT NULL,
    outcome          text        NOT NULL CHECK (outcome IN ('success', 'denied')),
    object_type      text,
    object_id        uuid,
    details          text        NOT NULL,
    prev_hash        bytea,
    hash             bytea       NOT NULL
);

CREATE INDEX audit_events_organisation_idx ON audit_events (organisation_id, id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
