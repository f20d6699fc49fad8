-- End-to-end encrypted rooms: a room is encrypted from its creation and for ever; its messages carry
-- one ciphertext envelope per recipient device instead of readable content.

ALTER TABLE rooms ADD COLUMN encrypted boolean NOT NULL DEFAULT false;

-- An encrypted room is never downgraded (nor a plain room upgraded, which would leave its earlier
-- messages readable beside ones that claim to be protected): not by a route, not by a bug.
CREATE FUNCTION rooms_encryption_fixed() RETURNS trigger AS $$
BEGIN
    IF NEW.encrypted <> OLD.encrypted THEN
        RAISE EXCEPTION 'a room''s encryption cannot change';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER rooms_encryption_fixed BEFORE UPDATE OF encrypted ON rooms
    FOR EACH ROW EXECUTE FUNCTION rooms_encryption_fixed();

-- An encrypted message has no content the server could read; its sender names the device that
-- encrypted it, so that recipients know which session decrypts it.
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('text', 'attachment', 'system', 'encrypted'));
ALTER TABLE messages ADD COLUMN sender_device smallint CHECK (sender_device BETWEEN 1 AND 127);
ALTER TABLE messages ADD CONSTRAINT messages_encrypted_shape
    CHECK ((kind = 'encrypted') = (sender_device IS NOT NULL) AND (kind <> 'encrypted' OR content = ''));

-- One ciphertext per recipient device of an encrypted message (libsignal's message type 2 for a
-- message of an open session, 3 for one that starts a session from a prekey bundle).
CREATE TABLE message_envelopes (
    room_id           uuid     NOT NULL,
    seq               bigint   NOT NULL,
    recipient_user_id uuid     NOT NULL REFERENCES users (id),
    recipient_device  smallint NOT NULL CHECK (recipient_device BETWEEN 1 AND 127),
    message_type      smallint NOT NULL CHECK (message_type IN (2, 3)),
    ciphertext        bytea    NOT NULL,
    PRIMARY KEY (room_id, recipient_user_id, recipient_device, seq),
    -- an envelope is part of its message: erasing the message (a patient's erasure) erases it
    FOREIGN KEY (room_id, seq) REFERENCES messages (room_id, seq) ON DELETE CASCADE
);

-- How far each device has confirmed receiving a room's messages (its own envelopes included): what
-- is above it counts as undelivered, and a revocation drops those envelopes.
CREATE TABLE device_room_positions (
    room_id     uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id     uuid        NOT NULL REFERENCES users (id),
    device_id   smallint    NOT NULL CHECK (device_id BETWEEN 1 AND 127),
    seq         bigint      NOT NULL CHECK (seq >= 0),
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (room_id, user_id, device_id)
);
