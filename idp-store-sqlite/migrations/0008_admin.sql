-- idp schema, version 8: the admin service (ADR 0022).
--
-- Users can be disabled; a client keeps the hash of the secret its last
-- rotation replaced, accepted until previous_secret_expires_at. Deleting
-- or disabling a user and deleting a client end their grants, found by
-- these indexes instead of a scan of refresh_tokens. Lists page on the
-- primary keys (tenant_id, id) and tenants' UNIQUE slug.

ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
ALTER TABLE clients ADD COLUMN previous_secret_hash BLOB
    CHECK (previous_secret_hash IS NULL OR length(previous_secret_hash) = 32);
ALTER TABLE clients ADD COLUMN previous_secret_expires_at INTEGER;
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (tenant_id, user_id);
CREATE INDEX refresh_tokens_by_client ON refresh_tokens (tenant_id, client_id);
