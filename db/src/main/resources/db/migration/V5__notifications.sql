-- E-mail notifications of unread messages for users who are not connected.

ALTER TABLE users ADD COLUMN notify_by_email boolean NOT NULL DEFAULT true;

-- When a user was last told about a room; the throttle counts from here.
CREATE TABLE room_notifications (
    user_id      uuid        NOT NULL REFERENCES users (id),
    room_id      uuid        NOT NULL REFERENCES rooms (id),
    notified_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, room_id)
);
