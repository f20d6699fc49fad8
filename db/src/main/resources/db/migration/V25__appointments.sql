-- Appointments a practice enters or imports, and the one reminder each gets before it.

CREATE TABLE appointments (
    id               uuid        PRIMARY KEY,
    organisation_id  uuid        NOT NULL REFERENCES organisations (id),
    patient_id       uuid        NOT NULL REFERENCES patients (id),
    starts_at        timestamptz NOT NULL,
    created_by       uuid        NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL,
    cancelled_at     timestamptz,
    cancelled_by     uuid        REFERENCES users (id),
    -- set exactly once, in the transaction that writes the reminder's outbox row (or skips it)
    reminded_at      timestamptz,
    reminder_state   text        CHECK (reminder_state IN ('sent', 'skipped')),
    reminder_reason  text,
    reminder_channel text        CHECK (reminder_channel IN ('email', 'sms')),
    outbox_id        bigint,
    CHECK ((reminded_at IS NULL) = (reminder_state IS NULL))
);

CREATE INDEX appointments_patient_idx ON appointments (patient_id, starts_at);
CREATE INDEX appointments_due_idx ON appointments (starts_at)
    WHERE reminded_at IS NULL AND cancelled_at IS NULL;

CREATE TABLE appointment_reminder_settings (
    organisation_id  uuid        PRIMARY KEY REFERENCES organisations (id),
    channel          text        NOT NULL CHECK (channel IN ('email', 'sms')),
    template_id      uuid        NOT NULL REFERENCES message_templates (id),
    days_before      integer     NOT NULL CHECK (days_before BETWEEN 1 AND 7),
    updated_by       uuid        NOT NULL REFERENCES users (id),
    updated_at       timestamptz NOT NULL
);

-- a reminder's opt-out link belongs to its appointment, not to a campaign
ALTER TABLE opt_out_tokens ALTER COLUMN campaign_id DROP NOT NULL;
ALTER TABLE opt_out_tokens ADD COLUMN appointment_id uuid REFERENCES appointments (id);
ALTER TABLE opt_out_tokens ADD CHECK ((campaign_id IS NULL) <> (appointment_id IS NULL));
