-- idp schema, version 2: client credentials and private_key_jwt clients,
-- logout and session revocation, token revocation, device authorization.

ALTER TABLE clients ADD COLUMN allowed_scopes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN audiences TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN jwks TEXT;
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';

-- ended_at: logged out (the cookie no longer works); revoked_at: revoked by
-- an administrator or the user (its tokens stop working too).
ALTER TABLE sessions ADD COLUMN ended_at INTEGER;
ALTER TABLE sessions ADD COLUMN revoked_at INTEGER;
CREATE INDEX sessions_by_user ON sessions (tenant_id, user_id);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (tenant_id, session_id);

-- Access tokens are self-contained JWTs and are not stored when issued;
-- only a revocation is written, and kept until the token would have expired.
CREATE TABLE revoked_access_tokens (
    tenant_id  TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    jti        TEXT    NOT NULL,
    keep_until INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, jti)
) STRICT, WITHOUT ROWID;

CREATE TABLE revoked_grants (
    tenant_id  TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    grant_id   TEXT    NOT NULL,
    keep_until INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, grant_id)
) STRICT, WITHOUT ROWID;

-- jti of private_key_jwt client assertions, against replay (RFC 7523 §3).
CREATE TABLE client_assertions (
    tenant_id  TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    client_id  TEXT    NOT NULL,
    jti        TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, client_id, jti)
) STRICT, WITHOUT ROWID;

CREATE TABLE device_codes (
    tenant_id        TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    device_code_hash BLOB    NOT NULL CHECK (length(device_code_hash) = 32),
    user_code        TEXT    NOT NULL,
    grant_id         TEXT    NOT NULL,
    client_id        TEXT    NOT NULL,
    scope            TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    user_id          TEXT,
    session_id       TEXT,
    auth_time        INTEGER,
    interval_secs    INTEGER NOT NULL,
    last_poll_at     INTEGER,
    consumed_at      INTEGER,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, device_code_hash),
    UNIQUE (tenant_id, user_code)
) STRICT;
