-- SMS leave through the same durable outbox as mail and fax. An SMS row names the organisation it
-- is sent for and its purpose (what caused it, e.g. 'delivery_code'), so the sender can see how it
-- fared; its text (which may hold a one-time code) is removed once the row is done.
ALTER TABLE outbox DROP CONSTRAINT outbox_channel_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_channel_check CHECK (channel IN ('mail', 'fax', 'sms'));
ALTER TABLE outbox ADD COLUMN organisation_id uuid REFERENCES organisations (id);
ALTER TABLE outbox ADD COLUMN purpose text CHECK (purpose IS NULL OR purpose ~ '^[a-z][a-z0-9_]{0,39}$');
ALTER TABLE outbox ADD CONSTRAINT outbox_sms_names_its_organisation
    CHECK (channel <> 'sms' OR (organisation_id IS NOT NULL AND purpose IS NOT NULL));
CREATE INDEX outbox_organisation_idx ON outbox (organisation_id) WHERE organisation_id IS NOT NULL;
