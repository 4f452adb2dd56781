-- idp schema, version 22: upstream login and account linking (issue 19).
--
-- upstreams: the identity providers a tenant's users may sign in with
-- (an OpenID Provider, GitHub, Google, Microsoft). The client secret is
-- sealed with the tenant's data key; the store never sees it in clear.
--
-- linked_identities: (upstream, subject) finds the user it signs in as,
-- unique in the tenant. Deleting the upstream, the user or the tenant
-- deletes the identities that name it (the foreign keys' cascades); a
-- user's identities are listed by the (tenant_id, user_id) index.
--
-- upstream_flights: a round trip to an upstream in progress, under the
-- SHA-256 of its `state`; taken (deleted) once by the callback, purged by
-- expires_at if nobody came back. Deleting the upstream deletes them.
CREATE TABLE upstreams (
    tenant_id            TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id                   TEXT    NOT NULL,
    kind                 TEXT    NOT NULL
                         CHECK (kind IN ('oidc', 'github', 'google', 'microsoft')),
    name                 TEXT    NOT NULL,
    issuer               TEXT,
    client_id            TEXT    NOT NULL,
    sealed_client_secret BLOB    NOT NULL,
    signup               INTEGER NOT NULL CHECK (signup IN (0, 1)),
    auto_link            INTEGER NOT NULL CHECK (auto_link IN (0, 1)),
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE linked_identities (
    tenant_id    TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    upstream_id  TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    email        TEXT,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, upstream_id, subject),
    FOREIGN KEY (tenant_id, upstream_id) REFERENCES upstreams (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX linked_identities_by_user ON linked_identities (tenant_id, user_id);

CREATE TABLE upstream_flights (
    tenant_id   TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    state_hash  BLOB    NOT NULL CHECK (length(state_hash) = 32),
    upstream_id TEXT    NOT NULL,
    data        BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, state_hash),
    FOREIGN KEY (tenant_id, upstream_id) REFERENCES upstreams (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX upstream_flights_by_expiry ON upstream_flights (tenant_id, expires_at);
-- Deleting an upstream finds its flights by this index.
CREATE INDEX upstream_flights_by_upstream ON upstream_flights (tenant_id, upstream_id);
