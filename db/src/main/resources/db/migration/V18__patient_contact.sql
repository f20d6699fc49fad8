-- A patient's own contact details, both optional: an e-mail address and a mobile number in E.164
-- (normalised by the server). Only the patient's organisation sees them; an erasure clears them
-- like the name.
ALTER TABLE patients ADD COLUMN email text
    CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1));
ALTER TABLE patients ADD COLUMN mobile text
    CHECK (mobile IS NULL OR mobile ~ '^\+[1-9][0-9]{6,14}$');
