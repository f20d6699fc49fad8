-- Retention per organisation (docs/records.md): how many years its rooms are kept after their
-- newest message, within the bounds the law sets; no row means the defaults. A legal hold on a
-- patient keeps every room about them, however old, and stops their erasure.
CREATE TABLE retention_settings (
    organisation_id     uuid        PRIMARY KEY REFERENCES organisations (id),
    patient_room_years  integer     NOT NULL CHECK (patient_room_years BETWEEN 10 AND 30),
    general_room_years  integer     NOT NULL CHECK (general_room_years BETWEEN 1 AND 30),
    updated_by          uuid        NOT NULL REFERENCES users (id),
    updated_at          timestamptz NOT NULL
);

CREATE TABLE legal_holds (
    patient_id  uuid        PRIMARY KEY REFERENCES patients (id),
    set_by      uuid        NOT NULL REFERENCES users (id),
    set_at      timestamptz NOT NULL
);

-- the retention job looks for rooms by the time of their newest message
CREATE INDEX rooms_last_message_idx ON rooms (coalesce(last_message_at, created_at));
