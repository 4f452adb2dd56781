-- idp schema, version 7: users are found by the canonical form of their
-- email (idp-core email.rs: NFKC, lowercase, IDNA domain; issue 12,
-- defect 8), which SQL cannot compute.
--
-- `email_key` holds that form. New rows get it on insert (the core only
-- writes canonical emails). Rows written before this version start NULL;
-- on start the core computes each one's key and stores it here unless
-- another user of the tenant already holds it. A row whose key would
-- collide stays NULL, so it can no longer sign in and is reported at
-- every start until an operator resolves it: look-alike accounts are never
-- merged silently. The index is partial so that those rows can exist.
-- `email` itself is left as it was written (it is the `email` claim).

ALTER TABLE users ADD COLUMN email_key TEXT;
CREATE UNIQUE INDEX users_by_email_key ON users (tenant_id, email_key)
    WHERE email_key IS NOT NULL;
-- Start-up asks for the rows still without a key: with this index that is
-- a look at an (almost always empty) index, not a scan of every user.
CREATE INDEX users_without_email_key ON users (created_at)
    WHERE email_key IS NULL;
