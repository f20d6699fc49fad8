-- Files sent into rooms. The message that carries one has kind 'attachment' and names it.

CREATE TABLE attachments (
    id           uuid PRIMARY KEY,
    room_id      uuid        NOT NULL REFERENCES rooms (id),
    file_id      uuid        NOT NULL REFERENCES stored_files (id),
    uploaded_by  uuid        NOT NULL REFERENCES users (id),
    uploaded_at  timestamptz NOT NULL
);

CREATE INDEX attachments_room_idx ON attachments (room_id);
