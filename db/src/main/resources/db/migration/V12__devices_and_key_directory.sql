-- Devices of a user and the key directory for end-to-end encryption (Signal protocol). The server
-- keeps public keys only: each device's identity key, its signed EC prekey, its signed Kyber
-- last-resort prekey, and a stock of one-time EC and Kyber prekeys that are handed out once each.
-- Keys are stored as libsignal serializes them.

-- A removed device keeps its row (removed_at set): its device id is not given to the next device
-- while the user has unused ones, and its identity key is never accepted again.
CREATE TABLE devices (
    id                          uuid        PRIMARY KEY,
    user_id                     uuid        NOT NULL REFERENCES users (id),
    device_id                   smallint    NOT NULL CHECK (device_id BETWEEN 1 AND 127),
    registration_id             integer     NOT NULL CHECK (registration_id BETWEEN 1 AND 16383),
    name                        text        CHECK (length(name) BETWEEN 1 AND 100),
    identity_key                bytea       NOT NULL,
    signed_prekey_id            integer     NOT NULL CHECK (signed_prekey_id >= 0),
    signed_prekey               bytea       NOT NULL,
    signed_prekey_signature     bytea       NOT NULL,
    pq_last_resort_id           integer     NOT NULL CHECK (pq_last_resort_id >= 0),
    pq_last_resort_key          bytea       NOT NULL,
    pq_last_resort_signature    bytea       NOT NULL,
    created_at                  timestamptz NOT NULL,
    removed_at                  timestamptz
);

CREATE UNIQUE INDEX devices_active_idx ON devices (user_id, device_id) WHERE removed_at IS NULL;
CREATE INDEX devices_user_idx ON devices (user_id, device_id);
CREATE UNIQUE INDEX devices_identity_key_idx ON devices (identity_key);

-- A device's identity is fixed: a new identity key is a new device. Neither the application role
-- nor a bug can swap the key, the registration id or the owner of a device in place, or bring a
-- removed device back.
CREATE FUNCTION devices_identity_fixed() RETURNS trigger AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.user_id <> OLD.user_id OR NEW.device_id <> OLD.device_id
       OR NEW.registration_id <> OLD.registration_id OR NEW.identity_key <> OLD.identity_key
       OR NEW.created_at <> OLD.created_at
       OR (OLD.removed_at IS NOT NULL AND NEW.removed_at IS DISTINCT FROM OLD.removed_at) THEN
        RAISE EXCEPTION 'a device''s identity cannot change';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER devices_identity_fixed BEFORE UPDATE ON devices
    FOR EACH ROW EXECUTE FUNCTION devices_identity_fixed();

-- One-time prekeys of active devices; a fetch deletes the ones it hands out.
CREATE TABLE one_time_prekeys (
    device     uuid     NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    kind       text     NOT NULL CHECK (kind IN ('ec', 'kyber')),
    key_id     integer  NOT NULL CHECK (key_id >= 0),
    public_key bytea    NOT NULL,
    -- Kyber prekeys are signed by the identity key; EC one-time prekeys are not
    signature  bytea    CHECK ((kind = 'kyber') = (signature IS NOT NULL)),
    PRIMARY KEY (device, kind, key_id)
);

-- Prekey bundle fetches per requesting user in a fixed window, counted across all nodes.
CREATE TABLE prekey_fetch_windows (
    user_id       uuid        PRIMARY KEY REFERENCES users (id),
    window_start  timestamptz NOT NULL,
    fetches       integer     NOT NULL CHECK (fetches >= 0)
);
