-- idp schema, version 1.
--
-- Every table of tenant data carries tenant_id, leads its primary key with it
-- and cascades from tenants. Secrets appear only as 32-byte SHA-256 hashes
-- (BLOB); times are unix seconds (INTEGER); booleans are 0/1 (INTEGER);
-- enums are their wire names (TEXT); lists are JSON arrays of strings (TEXT).
-- Lookups by secret hash use the primary keys and the UNIQUE constraints;
-- the only other lookup, refresh tokens by grant, has its own index.
-- Applied inside one transaction by migrations.rs; do not add BEGIN/COMMIT.

CREATE TABLE tenants (
    id               TEXT    NOT NULL PRIMARY KEY,
    slug             TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL,
    wrapped_data_key BLOB    NOT NULL,
    created_at       INTEGER NOT NULL
) STRICT;

CREATE TABLE signing_keys (
    tenant_id          TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kid                TEXT    NOT NULL,
    alg                TEXT    NOT NULL,
    sealed_private_key BLOB    NOT NULL,
    created_at         INTEGER NOT NULL,
    retired_at         INTEGER,
    PRIMARY KEY (tenant_id, kid)
) STRICT;

CREATE TABLE clients (
    tenant_id     TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id            TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    secret_hash   BLOB    CHECK (secret_hash IS NULL OR length(secret_hash) = 32),
    auth_method   TEXT    NOT NULL,
    redirect_uris TEXT    NOT NULL,
    grant_types   TEXT    NOT NULL,
    require_pkce  INTEGER NOT NULL CHECK (require_pkce IN (0, 1)),
    id_token_alg  TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE users (
    tenant_id      TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id             TEXT    NOT NULL,
    email          TEXT    NOT NULL,
    email_verified INTEGER NOT NULL CHECK (email_verified IN (0, 1)),
    name           TEXT,
    password_hash  TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email)
) STRICT;

CREATE TABLE sessions (
    tenant_id   TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id          TEXT    NOT NULL,
    secret_hash BLOB    NOT NULL CHECK (length(secret_hash) = 32),
    user_id     TEXT    NOT NULL,
    auth_time   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, secret_hash)
) STRICT;

CREATE TABLE interactions (
    tenant_id    TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id_hash      BLOB    NOT NULL CHECK (length(id_hash) = 32),
    request_json TEXT    NOT NULL,
    session_id   TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id_hash)
) STRICT;

CREATE TABLE consents (
    tenant_id  TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id    TEXT    NOT NULL,
    client_id  TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id, client_id)
) STRICT;

CREATE TABLE codes (
    tenant_id      TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    code_hash      BLOB    NOT NULL CHECK (length(code_hash) = 32),
    grant_id       TEXT    NOT NULL,
    client_id      TEXT    NOT NULL,
    user_id        TEXT    NOT NULL,
    session_id     TEXT    NOT NULL,
    redirect_uri   TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    nonce          TEXT,
    code_challenge TEXT,
    auth_time      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    consumed_at    INTEGER,
    PRIMARY KEY (tenant_id, code_hash)
) STRICT;

CREATE TABLE refresh_tokens (
    tenant_id   TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    token_hash  BLOB    NOT NULL CHECK (length(token_hash) = 32),
    grant_id    TEXT    NOT NULL,
    client_id   TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    session_id  TEXT    NOT NULL,
    scope       TEXT    NOT NULL,
    auth_time   INTEGER NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER,
    revoked     INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
    PRIMARY KEY (tenant_id, token_hash)
) STRICT;

CREATE INDEX refresh_tokens_by_grant ON refresh_tokens (tenant_id, grant_id);
