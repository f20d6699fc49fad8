-- An invitation code lets an organisation register, not read: the registered organisation joins
-- the room only once a user of the inviting organisation confirmed it. The code stays bound to the
-- account that redeemed it, so that a second use is told apart from a wrong code.
ALTER TABLE invitations ADD COLUMN redeemed_by_user uuid REFERENCES users (id);
ALTER TABLE invitations ADD COLUMN decision text CHECK (decision IN ('confirmed', 'rejected'));
ALTER TABLE invitations ADD COLUMN decided_at timestamptz;
ALTER TABLE invitations ADD COLUMN decided_by uuid REFERENCES users (id);

-- Before this version an invited organisation was a member of the room from the start and read it
-- once registered. Registered ones keep their place (as if confirmed); the others leave the room
-- and join it when the inviter confirms their registration.
UPDATE invitations SET decision = 'confirmed', decided_at = used_at WHERE used_at IS NOT NULL;

DELETE FROM room_members m
 USING invitations i
 WHERE m.room_id = i.room_id AND m.organisation_id = i.organisation_id AND i.used_at IS NULL;
