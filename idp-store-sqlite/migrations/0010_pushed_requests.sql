-- idp schema, version 10: pushed authorization requests (RFC 9126).
--
-- A pushed request is stored under the hash of its request_uri, taken
-- (deleted) once by the authorization endpoint, and purged by expires_at
-- if nobody came for it. A client may require that its authorization
-- requests be pushed (RFC 9126 §6).

CREATE TABLE pushed_requests (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    request_uri_hash BLOB NOT NULL CHECK (length(request_uri_hash) = 32),
    client_id TEXT NOT NULL,
    params TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, request_uri_hash)
) STRICT, WITHOUT ROWID;
CREATE INDEX pushed_requests_by_expiry ON pushed_requests (tenant_id, expires_at);

ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests INTEGER NOT NULL DEFAULT 0
    CHECK (require_pushed_authorization_requests IN (0, 1));
