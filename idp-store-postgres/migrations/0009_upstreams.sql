-- idp schema for PostgreSQL, version 9: upstream login and account linking
-- (issue 19).
--
-- upstreams: the identity providers a tenant's users may sign in with (an
-- OpenID Provider, GitHub, Google, Microsoft); the client secret is sealed
-- with the tenant's data key.
-- linked_identities: (upstream, subject) finds the user it signs in as,
-- unique in the tenant; a user's identities are listed by the
-- (tenant_id, user_id) index.
-- upstream_flights: a round trip to an upstream in progress, under the
-- SHA-256 of its `state`; taken (deleted) once by the callback, purged by
-- expires_at if nobody came back.
--
-- All three are tenant data: tenant_id first, cascading from the tenant,
-- the usual policy on `idp.tenant` (ADR 0027). Deleting an upstream
-- deletes its identities and flights, deleting a user their identities
-- (the foreign keys' cascades).
CREATE TABLE upstreams (
    tenant_id            text    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id                   text    NOT NULL,
    kind                 text    NOT NULL
                         CHECK (kind IN ('oidc', 'github', 'google', 'microsoft')),
    name                 text    NOT NULL,
    issuer               text,
    client_id            text    NOT NULL,
    sealed_client_secret bytea   NOT NULL,
    signup               boolean NOT NULL,
    auto_link            boolean NOT NULL,
    created_at           bigint  NOT NULL,
    updated_at           bigint  NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE linked_identities (
    tenant_id    text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    upstream_id  text   NOT NULL,
    subject      text   NOT NULL,
    user_id      text   NOT NULL,
    email        text,
    created_at   bigint NOT NULL,
    last_used_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, upstream_id, subject),
    FOREIGN KEY (tenant_id, upstream_id) REFERENCES upstreams (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX linked_identities_by_user ON linked_identities (tenant_id, user_id);

CREATE TABLE upstream_flights (
    tenant_id   text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    state_hash  bytea  NOT NULL CHECK (length(state_hash) = 32),
    upstream_id text   NOT NULL,
    data        bytea  NOT NULL,
    created_at  bigint NOT NULL,
    expires_at  bigint NOT NULL,
    PRIMARY KEY (tenant_id, state_hash),
    FOREIGN KEY (tenant_id, upstream_id) REFERENCES upstreams (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX upstream_flights_by_expiry ON upstream_flights (tenant_id, expires_at);
-- Deleting an upstream finds its flights by this index.
CREATE INDEX upstream_flights_by_upstream ON upstream_flights (tenant_id, upstream_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['upstreams', 'linked_identities', 'upstream_flights']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I
               USING (tenant_id = current_setting(''idp.tenant'', true))
               WITH CHECK (tenant_id = current_setting(''idp.tenant'', true))', t);
    END LOOP;
END $$;
