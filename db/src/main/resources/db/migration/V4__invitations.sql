-- Invitations of organisations that are not on Konsil yet, by e-mail and/or fax.

CREATE TABLE invitations (
    id                uuid PRIMARY KEY,
    organisation_id   uuid        NOT NULL REFERENCES organisations (id),
    room_id           uuid        NOT NULL REFERENCES rooms (id),
    invited_by_user   uuid        NOT NULL REFERENCES users (id),
    invited_by_org    uuid        NOT NULL REFERENCES organisations (id),
    email             text,
    fax               text,
    language          text        NOT NULL CHECK (language IN ('de', 'en')),
    -- the SHA-256 of the current single-use code; null until the invitation is first sent
    code_hash         bytea UNIQUE,
    sent_at           timestamptz,
    expires_at        timestamptz,
    used_at           timestamptz,
    created_at        timestamptz NOT NULL,
    CHECK (email IS NOT NULL OR fax IS NOT NULL)
);

CREATE INDEX invitations_room_idx ON invitations (room_id);

-- Invitations that wait for the room's first message before they go out.
ALTER TABLE rooms ADD COLUMN pending_invitations integer NOT NULL DEFAULT 0;

-- What a transport answered: the provider's id to poll, and the invitation a row belongs to.
ALTER TABLE outbox ADD COLUMN provider_id text;
ALTER TABLE outbox ADD COLUMN invitation_id uuid REFERENCES invitations (id);
CREATE INDEX outbox_invitation_idx ON outbox (invitation_id) WHERE invitation_id IS NOT NULL;

-- The audit trail is append-only for TRUNCATE too.
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
