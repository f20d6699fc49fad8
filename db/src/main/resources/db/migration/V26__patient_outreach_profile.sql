-- Messages to many patients (docs/outreach.md), part four: what the recipient picker filters by
-- besides ids and birthdays, kept by the outreach feature and not in the patient record: the
-- patient's tags and the day their recall is due.

-- Each tag is trimmed, 1 to 40 characters, without a comma or a control character; tag_keys
-- holds the same tags in lower case (Locale.ROOT, as the server compares them), in the same order.
CREATE FUNCTION outreach_tags_valid(tags text[], tag_keys text[]) RETURNS boolean AS $$
    SELECT cardinality(tags) <= 20
       AND cardinality(tags) = cardinality(tag_keys)
       AND coalesce((SELECT bool_and(length(t) BETWEEN 1 AND 40 AND t = btrim(t)
                                     AND position(',' IN t) = 0 AND t !~ '[[:cntrl:]]')
                     FROM unnest(tags) AS t), true)
       AND cardinality(tag_keys) = (SELECT count(DISTINCT k) FROM unnest(tag_keys) AS k)
$$ LANGUAGE sql IMMUTABLE;

CREATE TABLE patient_outreach_profiles (
    patient_id       uuid        PRIMARY KEY REFERENCES patients (id) ON DELETE CASCADE,
    organisation_id  uuid        NOT NULL REFERENCES organisations (id),
    tags             text[]      NOT NULL DEFAULT '{}',
    tag_keys         text[]      NOT NULL DEFAULT '{}',
    recall_due       date,
    updated_by       uuid        NOT NULL REFERENCES users (id),
    updated_at       timestamptz NOT NULL,
    CHECK (outreach_tags_valid(tags, tag_keys))
);

CREATE INDEX patient_outreach_profiles_tags_idx ON patient_outreach_profiles USING gin (tag_keys);
CREATE INDEX patient_outreach_profiles_recall_idx
    ON patient_outreach_profiles (organisation_id, recall_due) WHERE recall_due IS NOT NULL;
