-- Foundation: organisations, users, sessions, rooms, messages, read markers and the outbox.
-- Timestamps come from the application's clock (passed as parameters), never from now(),
-- so that expiry and throttling can be tested with a pinned clock.

CREATE TABLE organisations (
    id                     uuid PRIMARY KEY,
    kind                   text        NOT NULL CHECK (kind IN ('practice', 'clinic', 'rehab', 'care_service',
                                                               'care_home', 'pharmacy', 'therapy', 'insurer', 'other')),
    name                   text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    street                 text,
    postal_code            text,
    city                   text,
    email                  text,
    fax                    text,
    status                 text        NOT NULL CHECK (status IN ('invited', 'active', 'suspended')),
    require_second_factor  boolean     NOT NULL DEFAULT false,
    created_at             timestamptz NOT NULL
);

CREATE INDEX organisations_name_idx ON organisations (lower(name));

CREATE TABLE users (
    id               uuid PRIMARY KEY,
    organisation_id  uuid        NOT NULL REFERENCES organisations (id),
    email            text        NOT NULL,
    display_name     text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    role             text        NOT NULL CHECK (role IN ('member', 'admin')),
    status           text        NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
    password_hash    text,
    failed_logins    integer     NOT NULL DEFAULT 0,
    locked_until     timestamptz,
    totp_secret      text,
    totp_enabled     boolean     NOT NULL DEFAULT false,
    totp_last_step   bigint      NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL
);

CREATE UNIQUE INDEX users_email_idx ON users (lower(email));
CREATE INDEX users_organisation_idx ON users (organisation_id);

-- Single-use links that let a user set (or reset) a password. Only the SHA-256 of the token is kept.
CREATE TABLE password_tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE TABLE recovery_codes (
    user_id    uuid        NOT NULL REFERENCES users (id),
    code_hash  bytea       NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- A login session: one chain of rotating refresh tokens. Revoking the session ends every token of it.
CREATE TABLE sessions (
    id          uuid PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);

CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    session_id  uuid        NOT NULL REFERENCES sessions (id),
    issued_at   timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Short-lived single-use tickets for opening a WebSocket without a long-lived token in the URL.
CREATE TABLE ws_tickets (
    ticket_hash  bytea PRIMARY KEY,
    user_id      uuid        NOT NULL REFERENCES users (id),
    session_id   uuid        NOT NULL REFERENCES sessions (id),
    expires_at   timestamptz NOT NULL
);

CREATE TABLE rooms (
    id                 uuid PRIMARY KEY,
    kind               text        NOT NULL CHECK (kind IN ('general', 'patient')),
    title              text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    created_by_org     uuid        NOT NULL REFERENCES organisations (id),
    created_by_user    uuid        NOT NULL REFERENCES users (id),
    created_at         timestamptz NOT NULL,
    last_seq           bigint      NOT NULL DEFAULT 0,
    last_message_at    timestamptz
);

CREATE TABLE room_members (
    room_id          uuid        NOT NULL REFERENCES rooms (id),
    organisation_id  uuid        NOT NULL REFERENCES organisations (id),
    joined_at        timestamptz NOT NULL,
    PRIMARY KEY (room_id, organisation_id)
);

CREATE INDEX room_members_organisation_idx ON room_members (organisation_id);

-- Messages are immutable; seq is assigned under the room row's lock in the transaction that stores them.
CREATE TABLE messages (
    room_id         uuid        NOT NULL REFERENCES rooms (id),
    seq             bigint      NOT NULL,
    id              uuid        NOT NULL UNIQUE,
    sender_user_id  uuid        REFERENCES users (id),
    sender_org_id   uuid        REFERENCES organisations (id),
    client_msg_id   uuid,
    kind            text        NOT NULL CHECK (kind IN ('text', 'attachment', 'system')),
    content         text        NOT NULL,
    sent_at         timestamptz NOT NULL,
    PRIMARY KEY (room_id, seq)
);

CREATE UNIQUE INDEX messages_client_msg_idx ON messages (sender_user_id, client_msg_id)
    WHERE client_msg_id IS NOT NULL;

CREATE TABLE read_markers (
    user_id     uuid        NOT NULL REFERENCES users (id),
    room_id     uuid        NOT NULL REFERENCES rooms (id),
    seq         bigint      NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, room_id)
);

-- Durable outbox for e-mail (and later fax): written in the transaction of the event that causes it.
CREATE TABLE outbox (
    id               bigserial PRIMARY KEY,
    channel          text        NOT NULL CHECK (channel IN ('mail', 'fax')),
    recipient        text        NOT NULL,
    payload          jsonb       NOT NULL,
    status           text        NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    last_error       text,
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz
);

CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE status = 'queued';
