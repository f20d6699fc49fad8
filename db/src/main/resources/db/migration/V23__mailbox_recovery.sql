-- The patient mailbox's recovery sheet and password reset (docs/patient-mailbox.md). The recovery
-- code never reaches the server: it keeps the SHA-256 of a secret derived from it (the code has
-- 130 bits, so a plain hash suffices) and the private keys wrapped with a key derived from it.
ALTER TABLE mailbox_accounts
    ADD COLUMN recovery_hash       bytea CHECK (length(recovery_hash) = 32),
    ADD COLUMN recovery_wrapped    bytea,
    ADD COLUMN recovery_created_at timestamptz;

-- Single-use steps of a password reset: 'code' (the recovery code was shown; the keys stay) or
-- 'link' (a mailed link; new keys, old messages can no longer be opened by the patient). Each
-- carries the salt for the new password.
CREATE TABLE mailbox_reset_tokens (
    token_hash   bytea       PRIMARY KEY,
    account_id   uuid        NOT NULL REFERENCES mailbox_accounts (id),
    kind         text        NOT NULL CHECK (kind IN ('code', 'link')),
    salt         bytea       NOT NULL CHECK (length(salt) = 16),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);

CREATE INDEX mailbox_reset_tokens_account_idx ON mailbox_reset_tokens (account_id);
