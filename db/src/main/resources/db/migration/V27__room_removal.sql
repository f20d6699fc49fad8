-- Retention removes a room in several transactions (its messages a batch at a time, then the room).
-- The first one marks the room under its lock: a send or a new member that waited for that lock
-- reads the locked row again and finds it marked, so nothing is stored in or added to a room that
-- is being removed (docs/decisions.md, "Retention takes a room under its lock").
ALTER TABLE rooms ADD COLUMN removing_since timestamptz;
