-- idp schema for PostgreSQL, version 2: the admin API (issue 16): the
-- audit log, application roles, admin API keys and idempotency keys.
--
-- Scopes (ADR 0027), three kinds of table here:
-- * roles and user_roles are tenant data: tenant_id first, cascading from
--   tenants (and from the user and the role they join), the usual policy
--   on `idp.tenant`. Deleting a tenant, a user or a role deletes the
--   assignments that name it.
-- * audit_events outlive their tenant: no foreign key, the tenant's slug
--   and id kept as plain values. A transaction sees (and may append) its
--   tenant's events under `idp.tenant`, and every event under
--   `idp.registry = 'on'` (the platform-wide list, the retention purge,
--   events of no tenant such as api_key.create). idp_app may not UPDATE
--   it (migrations.rs grants SELECT, INSERT, DELETE): events are
--   append-only, deleted only by the retention purge.
-- * api_keys, api_key_root and idempotency_keys are the platform's, of no
--   tenant: their policy admits rows only under `idp.registry = 'on'`, so
--   a tenant-scoped transaction (or one that forgot its scope) sees none.

CREATE TABLE audit_events (
    id          bigint NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time        bigint NOT NULL,
    actor_kind  text   NOT NULL,
    actor_id    text   NOT NULL,
    actor_name  text   NOT NULL,
    action      text   NOT NULL,
    -- The tenant's slug and id when the change was inside one; no
    -- reference: a deleted tenant's events stay.
    tenant      text,
    tenant_id   text,
    target_kind text   NOT NULL,
    target_id   text   NOT NULL,
    address     text,
    request_id  text,
    -- The changed fields, a JSON object without secret values.
    changes     text   NOT NULL
);
CREATE INDEX audit_events_by_tenant ON audit_events (tenant, id);
CREATE INDEX audit_events_by_actor ON audit_events (actor_id, id);
CREATE INDEX audit_events_by_time ON audit_events (time);

CREATE TABLE roles (
    tenant_id   text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        text   NOT NULL,
    description text   NOT NULL,
    created_at  bigint NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE user_roles (
    tenant_id   text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     text   NOT NULL,
    role        text   NOT NULL,
    assigned_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, user_id, role),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role) REFERENCES roles (tenant_id, name) ON DELETE CASCADE
);
-- A role's deletion finds its assignments through this.
CREATE INDEX user_roles_by_role ON user_roles (tenant_id, role);

-- One row per API key issued; the key itself is never stored.
CREATE TABLE api_keys (
    id            text    NOT NULL PRIMARY KEY,
    name          text    NOT NULL,
    tenant        text,
    read_only     boolean NOT NULL,
    expires_at    bigint,
    -- Hex revocation id of the key's first block.
    revocation_id text    NOT NULL UNIQUE,
    created_at    bigint  NOT NULL,
    revoked_at    bigint
);

-- The platform's sealed root key pair: at most one row.
CREATE TABLE api_key_root (
    only_row boolean NOT NULL PRIMARY KEY DEFAULT true CHECK (only_row),
    sealed   bytea   NOT NULL
);

CREATE TABLE idempotency_keys (
    scope       text    NOT NULL PRIMARY KEY,
    fingerprint text    NOT NULL,
    -- The response's status once completed; NULL while in progress.
    status      integer CHECK (status IS NULL OR status BETWEEN 0 AND 65535),
    -- The response body, sealed; empty while in progress.
    body        bytea   NOT NULL,
    created_at  bigint  NOT NULL,
    expires_at  bigint  NOT NULL
);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);

ALTER TABLE roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON roles
    USING (tenant_id = current_setting('idp.tenant', true))
    WITH CHECK (tenant_id = current_setting('idp.tenant', true));

ALTER TABLE user_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_roles
    USING (tenant_id = current_setting('idp.tenant', true))
    WITH CHECK (tenant_id = current_setting('idp.tenant', true));

-- Events are read and appended by their tenant or the registry; only the
-- registry (the retention purge) deletes, and nothing updates (no policy,
-- no grant): a tenant-scoped transaction cannot remove its tenant's log.
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON audit_events FOR SELECT
    USING (tenant_id = current_setting('idp.tenant', true)
           OR current_setting('idp.registry', true) = 'on');
CREATE POLICY tenant_appends ON audit_events FOR INSERT
    WITH CHECK (tenant_id = current_setting('idp.tenant', true)
                OR current_setting('idp.registry', true) = 'on');
CREATE POLICY registry_purges ON audit_events FOR DELETE
    USING (current_setting('idp.registry', true) = 'on');

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['api_keys', 'api_key_root', 'idempotency_keys']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY platform_only ON %I
               USING (current_setting(''idp.registry'', true) = ''on'')
               WITH CHECK (current_setting(''idp.registry'', true) = ''on'')', t);
    END LOOP;
END $$;
