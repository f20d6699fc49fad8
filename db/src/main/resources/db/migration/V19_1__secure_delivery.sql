-- Secure file delivery with a second factor (docs/secure-delivery.md). A delivery is one document
-- sent from a patient's page to the patient or a third party: the e-mail carries a link with a
-- secret, the file lies encrypted under a key derived from that secret and the verification value
-- (never stored), the row keeps the secret's hash, the KDF salt and cost, and the state.
CREATE TABLE delivery_settings (
    organisation_id            uuid PRIMARY KEY REFERENCES organisations (id),
    verified_link_days         integer     NOT NULL CHECK (verified_link_days BETWEEN 1 AND 90),
    sms_link_days              integer     NOT NULL CHECK (sms_link_days BETWEEN 1 AND 365),
    allow_unverified_invoices  boolean     NOT NULL,
    updated_by                 uuid        NOT NULL REFERENCES users (id),
    updated_at                 timestamptz NOT NULL
);

CREATE TABLE deliveries (
    id                   uuid PRIMARY KEY,
    organisation_id      uuid        NOT NULL REFERENCES organisations (id),
    patient_id           uuid        NOT NULL REFERENCES patients (id),
    created_by           uuid        NOT NULL REFERENCES users (id),
    created_at           timestamptz NOT NULL,
    recipient            text        NOT NULL CHECK (recipient IN ('patient', 'third_party')),
    email                text        NOT NULL,
    document_kind        text        NOT NULL
        CHECK (document_kind IN ('findings', 'invoice', 'consent_copy', 'other')),
    verification         text        NOT NULL
        CHECK (verification IN ('birth_date', 'insurance_number', 'sms_code', 'none')),
    -- where a birth date or insurance number came from: the record, or typed for this delivery
    value_source         text        CHECK (value_source IN ('record', 'typed')),
    sms_number           text        CHECK (sms_number IS NULL OR sms_number ~ '^\+[1-9][0-9]{6,14}$'),
    mail_outbox_id       bigint      REFERENCES outbox (id),
    sms_outbox_id        bigint      REFERENCES outbox (id),
    secret_hash          bytea       NOT NULL UNIQUE,
    kdf_salt             bytea       NOT NULL,
    kdf_memory_kib       integer     NOT NULL,
    kdf_iterations       integer     NOT NULL,
    nonce                bytea       NOT NULL,
    media_type           text        NOT NULL,
    size_bytes           bigint      NOT NULL,
    file_name            text,
    expires_at           timestamptz NOT NULL,
    failed_attempts      integer     NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_at            timestamptz,
    downloaded_at        timestamptz,
    -- replaced by a re-issue: the old link opens nothing any more
    withdrawn_at         timestamptz,
    reissue_of           uuid        REFERENCES deliveries (id),
    CHECK ((verification = 'sms_code') = (sms_number IS NOT NULL)),
    CHECK ((verification IN ('birth_date', 'insurance_number')) = (value_source IS NOT NULL)),
    CHECK (verification <> 'none' OR document_kind = 'invoice')
);

CREATE INDEX deliveries_patient_idx ON deliveries (patient_id, created_at);
