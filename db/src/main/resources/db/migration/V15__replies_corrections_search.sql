-- A message may quote an earlier message of its room (reply_to) or correct one of its sender's own
-- text messages (corrects). A correction is a row of its own: the corrected message is never
-- changed, so the history and the documentation keep what was sent first. Both are checked by the
-- server before the one store statement runs (same room, member, own message, 15 minutes).
ALTER TABLE messages ADD COLUMN reply_to uuid REFERENCES messages (id);
ALTER TABLE messages ADD COLUMN corrects uuid REFERENCES messages (id);

-- The newest correction of a message is looked up for every message read.
CREATE INDEX messages_corrects_idx ON messages (corrects, seq) WHERE corrects IS NOT NULL;

-- Search in text messages: PostgreSQL's built-in full text search with the 'simple' configuration
-- (no stemming, no stop words: names, drugs and abbreviations are found as typed, words by prefix).
-- No extension is needed; the server's query uses exactly this expression and condition.
CREATE INDEX messages_search_idx ON messages USING gin (to_tsvector('simple', content))
    WHERE kind = 'text';
