-- The end-to-end encrypted patient mailbox (docs/patient-mailbox.md). The server keeps public keys,
-- private keys only as the browsers wrapped them, and messages as ciphertext with a signature.

-- The practice's mailbox key pair, one per organisation, made in an admin's browser.
CREATE TABLE mailbox_practice_keys (
    organisation_id     uuid        PRIMARY KEY REFERENCES organisations (id),
    x25519_public       bytea       NOT NULL CHECK (length(x25519_public) = 32),
    ed25519_public      bytea       NOT NULL CHECK (length(ed25519_public) = 32),
    created_by          uuid        NOT NULL REFERENCES users (id),
    created_at          timestamptz NOT NULL
);

-- A staff member's own mailbox key: X25519, its private part wrapped with a key derived from
-- their password in their browser (salt and iteration count for that derivation kept here).
CREATE TABLE mailbox_staff_keys (
    user_id             uuid        PRIMARY KEY REFERENCES users (id),
    x25519_public       bytea       NOT NULL CHECK (length(x25519_public) = 32),
    wrapped_private     bytea       NOT NULL CHECK (length(wrapped_private) BETWEEN 28 AND 200),
    salt                bytea       NOT NULL CHECK (length(salt) = 16),
    iterations          integer     NOT NULL CHECK (iterations >= 600000),
    created_at          timestamptz NOT NULL
);

-- Who may read the practice mailbox: the practice's private keys sealed to the staff member's
-- X25519 key (by an admin's browser). Withdrawing access deletes the row.
CREATE TABLE mailbox_access (
    organisation_id     uuid        NOT NULL REFERENCES organisations (id),
    user_id             uuid        NOT NULL REFERENCES users (id),
    staff_x25519_public bytea       NOT NULL,
    sealed_practice_key bytea       NOT NULL CHECK (length(sealed_practice_key) BETWEEN 60 AND 400),
    granted_by          uuid        NOT NULL REFERENCES users (id),
    granted_at          timestamptz NOT NULL,
    PRIMARY KEY (organisation_id, user_id)
);

-- A patient's mailbox at the practice that invited them. It belongs to that practice only; the
-- e-mail address is the login name within that practice.
CREATE TABLE mailbox_accounts (
    id                  uuid        PRIMARY KEY,
    organisation_id     uuid        NOT NULL REFERENCES organisations (id),
    patient_id          uuid        NOT NULL UNIQUE REFERENCES patients (id),
    email               text        NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    status              text        NOT NULL CHECK (status IN ('invited', 'active', 'blocked', 'closed')),
    registration_hash   bytea,
    registration_expires_at timestamptz,
    salt                bytea       NOT NULL CHECK (length(salt) = 16),
    iterations          integer     CHECK (iterations >= 600000),
    login_hash          text,
    x25519_public       bytea       CHECK (length(x25519_public) = 32),
    ed25519_public      bytea       CHECK (length(ed25519_public) = 32),
    wrapped_private     bytea,
    failed_logins       integer     NOT NULL DEFAULT 0,
    locked_until        timestamptz,
    invited_by          uuid        NOT NULL REFERENCES users (id),
    created_at          timestamptz NOT NULL,
    registered_at       timestamptz,
    blocked_at          timestamptz,
    closed_at           timestamptz,
    CHECK (status = 'invited' OR status = 'closed' OR (login_hash IS NOT NULL
        AND x25519_public IS NOT NULL AND ed25519_public IS NOT NULL AND wrapped_private IS NOT NULL))
);

CREATE UNIQUE INDEX mailbox_accounts_login_idx ON mailbox_accounts (organisation_id, lower(email))
    WHERE status <> 'closed';
CREATE UNIQUE INDEX mailbox_accounts_registration_idx ON mailbox_accounts (registration_hash);

-- Patient sessions: opaque random tokens stored as SHA-256, nothing shared with staff sessions.
CREATE TABLE mailbox_sessions (
    token_hash          bytea       PRIMARY KEY,
    account_id          uuid        NOT NULL REFERENCES mailbox_accounts (id),
    created_at          timestamptz NOT NULL,
    expires_at          timestamptz NOT NULL
);

CREATE INDEX mailbox_sessions_account_idx ON mailbox_sessions (account_id);

-- Messages, both ways. The id is the sender's; envelope and attachments are ciphertext.
CREATE TABLE mailbox_messages (
    id                  uuid        PRIMARY KEY,
    account_id          uuid        NOT NULL REFERENCES mailbox_accounts (id),
    organisation_id     uuid        NOT NULL REFERENCES organisations (id),
    direction           text        NOT NULL CHECK (direction IN ('to_patient', 'to_practice')),
    sender_user_id      uuid        REFERENCES users (id),
    envelope            bytea       NOT NULL,
    signature           bytea       NOT NULL CHECK (length(signature) = 64),
    key_for_patient     bytea,
    key_for_practice    bytea       NOT NULL,
    attachment_sizes    integer[]   NOT NULL,
    created_at          timestamptz NOT NULL,
    read_at             timestamptz,
    read_by             uuid        REFERENCES users (id),
    CHECK ((direction = 'to_patient') = (sender_user_id IS NOT NULL))
);

CREATE INDEX mailbox_messages_account_idx ON mailbox_messages (account_id, created_at);
CREATE INDEX mailbox_messages_org_idx ON mailbox_messages (organisation_id, created_at)
    WHERE direction = 'to_practice';

CREATE TABLE mailbox_attachments (
    message_id          uuid        NOT NULL REFERENCES mailbox_messages (id),
    position            smallint    NOT NULL CHECK (position BETWEEN 0 AND 19),
    content             bytea       NOT NULL,
    PRIMARY KEY (message_id, position)
);
