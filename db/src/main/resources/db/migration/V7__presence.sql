-- Which users have a WebSocket open, on which node, so that no node mails a user about unread
-- messages while they are connected to another one. A node that stops answering stops counting
-- once its heartbeat is older than a minute; its rows go when the next node starts.
CREATE TABLE nodes (
    id       uuid        PRIMARY KEY,
    seen_at  timestamptz NOT NULL
);

CREATE TABLE presence (
    node_id  uuid NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    user_id  uuid NOT NULL REFERENCES users (id),
    PRIMARY KEY (node_id, user_id)
);

CREATE INDEX presence_user_idx ON presence (user_id);
