-- The recovery backup of end-to-end clients (docs/client.md, "The recovery key"): one opaque blob
-- per user, encrypted on the device with a key derived from the user's recovery code, which never
-- reaches the server. Each upload replaces the previous one.
CREATE TABLE key_backups (
    user_id    uuid        PRIMARY KEY REFERENCES users (id),
    backup     bytea       NOT NULL CHECK (length(backup) BETWEEN 1 AND 524288),
    updated_at timestamptz NOT NULL
);
