-- Bulk exports of an organisation's rooms as FHIR NDJSON: one row per export job, with its
-- progress; the file itself lies under the data folder (exports/<id>.ndjson).
CREATE TABLE record_exports (
    id               uuid PRIMARY KEY,
    organisation_id  uuid        NOT NULL REFERENCES organisations (id),
    requested_by     uuid        NOT NULL REFERENCES users (id),
    status           text        NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    rooms_total      integer     NOT NULL CHECK (rooms_total >= 0),
    rooms_done       integer     NOT NULL DEFAULT 0 CHECK (rooms_done >= 0),
    size_bytes       bigint      NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    finished_at      timestamptz
);

-- one running export per organisation
CREATE UNIQUE INDEX record_exports_running_idx ON record_exports (organisation_id)
    WHERE status = 'running';

-- the audit events about one object (a room, a patient, a consent), for the FHIR export
CREATE INDEX audit_events_object_idx ON audit_events (object_id, id) WHERE object_id IS NOT NULL;
