-- idp schema, version 9: signing keys are published before they sign
-- (idp-core key_rotation, ADR 0024).
--
-- `activates_at` is when a key starts signing: the newest key of an
-- algorithm whose activation time has passed signs. A rotation stores its
-- keys with an activation time ahead and sets the superseded keys'
-- `retired_at` to that same time, so `retired_at` may now lie in the
-- future. Keys written before this version were active from their
-- creation.

ALTER TABLE signing_keys ADD COLUMN activates_at INTEGER NOT NULL DEFAULT 0;
UPDATE signing_keys SET activates_at = created_at;
