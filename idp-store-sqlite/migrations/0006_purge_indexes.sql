-- idp schema, version 6: indexes for the background purge (idp-core purge).
--
-- Each purge batch deletes rows of one tenant whose time is before a
-- cutoff; without these it would scan the whole table, and a batch would
-- rescan the live rows the previous batches skipped, holding the write lock
-- longer each time. With them a batch reads only the rows it deletes. Each
-- costs one more B-tree insert when a row is written.

CREATE INDEX codes_by_expiry ON codes (tenant_id, expires_at);
CREATE INDEX interactions_by_expiry ON interactions (tenant_id, expires_at);
CREATE INDEX device_codes_by_expiry ON device_codes (tenant_id, expires_at);
CREATE INDEX sessions_by_expiry ON sessions (tenant_id, expires_at);
CREATE INDEX sessions_by_revocation ON sessions (tenant_id, revoked_at)
    WHERE revoked_at IS NOT NULL;
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (tenant_id, expires_at);
CREATE INDEX revoked_access_tokens_by_expiry ON revoked_access_tokens (tenant_id, keep_until);
CREATE INDEX revoked_grants_by_expiry ON revoked_grants (tenant_id, keep_until);
CREATE INDEX client_assertions_by_expiry ON client_assertions (tenant_id, expires_at);
CREATE INDEX session_clients_by_age ON session_clients (tenant_id, created_at);
