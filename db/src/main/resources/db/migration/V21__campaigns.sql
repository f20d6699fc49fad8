-- Messages to many patients (docs/outreach.md), part two: templates, campaigns with a state per
-- recipient, and the opt-out links the messages carry.

-- What the harmless macros of a message may say about the practice.
CREATE TABLE outreach_settings (
    organisation_id  uuid        PRIMARY KEY REFERENCES organisations (id),
    practice_phone   text        CHECK (length(practice_phone) BETWEEN 1 AND 40),
    updated_by       uuid        NOT NULL REFERENCES users (id),
    updated_at       timestamptz NOT NULL
);

CREATE TABLE message_templates (
    id               uuid        PRIMARY KEY,
    organisation_id  uuid        NOT NULL REFERENCES organisations (id),
    name             text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    channel          text        NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
    language         text        NOT NULL CHECK (language IN ('de', 'en')),
    subject          text        CHECK (length(subject) BETWEEN 1 AND 200),
    body             text        NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    created_by       uuid        NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL
);

CREATE INDEX message_templates_org_idx ON message_templates (organisation_id, created_at);

CREATE TABLE campaigns (
    id               uuid        PRIMARY KEY,
    organisation_id  uuid        NOT NULL REFERENCES organisations (id),
    name             text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    channel          text        NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
    purpose          text        NOT NULL,
    template_id      uuid        NOT NULL REFERENCES message_templates (id),
    status           text        NOT NULL CHECK (status IN ('draft', 'sending', 'done')),
    created_by       uuid        NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL,
    sent_by          uuid        REFERENCES users (id),
    send_started_at  timestamptz,
    finished_at      timestamptz
);

CREATE INDEX campaigns_org_idx ON campaigns (organisation_id, created_at);

-- One row per patient on a campaign's list. listed: in review; not_selected: left out when sent;
-- queued: to be sent; sent: handed to the transport (the outbox row) or put into the letters;
-- failed: not sent, with the reason. The outbox row is written in the transaction that sets sent.
CREATE TABLE campaign_recipients (
    campaign_id      uuid        NOT NULL REFERENCES campaigns (id),
    patient_id       uuid        NOT NULL REFERENCES patients (id),
    position         integer     NOT NULL,
    state            text        NOT NULL CHECK (state IN ('listed', 'not_selected', 'queued', 'sent', 'failed')),
    reason           text,
    address          text,
    outbox_id        bigint      REFERENCES outbox (id),
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, patient_id),
    UNIQUE (campaign_id, position)
);

CREATE INDEX campaign_recipients_queued_idx ON campaign_recipients (campaign_id, position)
    WHERE state = 'queued';
CREATE INDEX campaign_recipients_patient_idx ON campaign_recipients (patient_id);

-- The opt-out link of one message: only the SHA-256 of its token is kept.
CREATE TABLE opt_out_tokens (
    token_hash       bytea       PRIMARY KEY,
    organisation_id  uuid        NOT NULL REFERENCES organisations (id),
    patient_id       uuid        NOT NULL REFERENCES patients (id),
    channel          text        NOT NULL CHECK (channel IN ('email', 'sms')),
    purpose          text        NOT NULL,
    campaign_id      uuid        NOT NULL REFERENCES campaigns (id),
    created_at       timestamptz NOT NULL,
    used_at          timestamptz
);

CREATE INDEX opt_out_tokens_patient_idx ON opt_out_tokens (patient_id);
