-- idp schema for PostgreSQL, version 1: the same tables as the SQLite
-- store's schema at its version 14, in PostgreSQL's types, with row-level
-- security on every table of tenant data.
--
-- Types: ids and enums are text (enums their wire names), secrets appear
-- only as 32-byte SHA-256 hashes (bytea), times are unix seconds (bigint),
-- lists of strings are text[], JSON documents text.
--
-- Tenant isolation (ADR 0027). Every table of tenant data carries
-- tenant_id, leads its primary key with it and cascades from tenants. Its
-- policy admits a row only when tenant_id equals the transaction's setting
-- `idp.tenant` (set by the store with set_config(..., true) at the start of
-- every transaction). Without the setting, or with another tenant's id, a
-- query sees no rows and can write none. The store serves as the role
-- `idp_app`, which owns nothing and cannot bypass the policies; the role
-- that runs these migrations owns the tables.
--
-- The tenants table itself is also read by slug before any tenant is
-- known; its policy admits every row when `idp.registry` is 'on', which
-- only the store's registry calls set. Two questions across tenants
-- (active users for metrics, rows without an email key at start-up) are
-- SECURITY DEFINER functions that return counts or ids, never rows.
--
-- Applied inside one transaction by migrations.rs, under an advisory lock.

CREATE TABLE tenants (
    id                   text    NOT NULL PRIMARY KEY,
    slug                 text    NOT NULL UNIQUE,
    name                 text    NOT NULL,
    wrapped_data_key     bytea   NOT NULL,
    created_at           bigint  NOT NULL,
    dynamic_registration boolean NOT NULL DEFAULT false
);

CREATE TABLE signing_keys (
    tenant_id          text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kid                text   NOT NULL,
    alg                text   NOT NULL,
    sealed_private_key bytea  NOT NULL,
    created_at         bigint NOT NULL,
    activates_at       bigint NOT NULL,
    retired_at         bigint,
    -- Insertion order, the tie-break of "newest first".
    seq                bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (tenant_id, kid)
);

CREATE TABLE clients (
    tenant_id                             text    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id                                    text    NOT NULL,
    name                                  text    NOT NULL,
    secret_hash                           bytea   CHECK (secret_hash IS NULL OR length(secret_hash) = 32),
    auth_method                           text    NOT NULL,
    redirect_uris                         text[]  NOT NULL,
    grant_types                           text[]  NOT NULL,
    require_pkce                          boolean NOT NULL,
    id_token_alg                          text    NOT NULL,
    created_at                            bigint  NOT NULL,
    allowed_scopes                        text[]  NOT NULL DEFAULT '{}',
    audiences                             text[]  NOT NULL DEFAULT '{}',
    jwks                                  text,
    jwks_uri                              text,
    post_logout_redirect_uris             text[]  NOT NULL DEFAULT '{}',
    registration_token_hash               bytea   CHECK (registration_token_hash IS NULL OR length(registration_token_hash) = 32),
    metadata                              text    NOT NULL DEFAULT '{}',
    frontchannel_logout_uri               text,
    frontchannel_logout_session_required  boolean NOT NULL DEFAULT false,
    backchannel_logout_uri                text,
    backchannel_logout_session_required   boolean NOT NULL DEFAULT false,
    previous_secret_hash                  bytea   CHECK (previous_secret_hash IS NULL OR length(previous_secret_hash) = 32),
    previous_secret_expires_at            bigint,
    require_pushed_authorization_requests boolean NOT NULL DEFAULT false,
    subject_type                          text    NOT NULL DEFAULT 'public',
    sector_identifier_uri                 text,
    allowed_origins                       text[]  NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE users (
    tenant_id      text    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id             text    NOT NULL,
    email          text    NOT NULL,
    email_verified boolean NOT NULL,
    name           text,
    password_hash  text,
    created_at     bigint  NOT NULL,
    updated_at     bigint  NOT NULL,
    email_key      text,
    disabled       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email)
);
CREATE UNIQUE INDEX users_by_email_key ON users (tenant_id, email_key) WHERE email_key IS NOT NULL;
CREATE INDEX users_without_email_key ON users (created_at) WHERE email_key IS NULL;

CREATE TABLE sessions (
    tenant_id   text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id          text   NOT NULL,
    secret_hash bytea  NOT NULL CHECK (length(secret_hash) = 32),
    user_id     text   NOT NULL,
    auth_time   bigint NOT NULL,
    created_at  bigint NOT NULL,
    expires_at  bigint NOT NULL,
    ended_at    bigint,
    revoked_at  bigint,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, secret_hash)
);
CREATE INDEX sessions_by_user ON sessions (tenant_id, user_id);
CREATE INDEX sessions_by_expiry ON sessions (tenant_id, expires_at);
CREATE INDEX sessions_by_revocation ON sessions (tenant_id, revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE interactions (
    tenant_id    text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id_hash      bytea  NOT NULL CHECK (length(id_hash) = 32),
    request_json text   NOT NULL,
    session_id   text,
    created_at   bigint NOT NULL,
    expires_at   bigint NOT NULL,
    PRIMARY KEY (tenant_id, id_hash)
);
CREATE INDEX interactions_by_expiry ON interactions (tenant_id, expires_at);

CREATE TABLE consents (
    tenant_id  text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id    text   NOT NULL,
    client_id  text   NOT NULL,
    scope      text   NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, user_id, client_id)
);

CREATE TABLE codes (
    tenant_id      text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    code_hash      bytea  NOT NULL CHECK (length(code_hash) = 32),
    grant_id       text   NOT NULL,
    client_id      text   NOT NULL,
    user_id        text   NOT NULL,
    session_id     text   NOT NULL,
    redirect_uri   text   NOT NULL,
    scope          text   NOT NULL,
    nonce          text,
    code_challenge text,
    auth_time      bigint NOT NULL,
    expires_at     bigint NOT NULL,
    consumed_at    bigint,
    claims         text,
    resource       text,
    PRIMARY KEY (tenant_id, code_hash)
);
CREATE INDEX codes_by_expiry ON codes (tenant_id, expires_at);

CREATE TABLE refresh_tokens (
    tenant_id   text    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    token_hash  bytea   NOT NULL CHECK (length(token_hash) = 32),
    grant_id    text    NOT NULL,
    client_id   text    NOT NULL,
    user_id     text    NOT NULL,
    session_id  text    NOT NULL,
    scope       text    NOT NULL,
    auth_time   bigint  NOT NULL,
    issued_at   bigint  NOT NULL,
    expires_at  bigint  NOT NULL,
    consumed_at bigint,
    revoked     boolean NOT NULL DEFAULT false,
    claims      text,
    resource    text,
    PRIMARY KEY (tenant_id, token_hash)
);
CREATE INDEX refresh_tokens_by_grant ON refresh_tokens (tenant_id, grant_id);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (tenant_id, session_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (tenant_id, expires_at);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (tenant_id, user_id);
CREATE INDEX refresh_tokens_by_client ON refresh_tokens (tenant_id, client_id);

CREATE TABLE revoked_access_tokens (
    tenant_id  text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    jti        text   NOT NULL,
    keep_until bigint NOT NULL,
    PRIMARY KEY (tenant_id, jti)
);
CREATE INDEX revoked_access_tokens_by_expiry ON revoked_access_tokens (tenant_id, keep_until);

CREATE TABLE revoked_grants (
    tenant_id  text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    grant_id   text   NOT NULL,
    keep_until bigint NOT NULL,
    PRIMARY KEY (tenant_id, grant_id)
);
CREATE INDEX revoked_grants_by_expiry ON revoked_grants (tenant_id, keep_until);

CREATE TABLE client_assertions (
    tenant_id  text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    client_id  text   NOT NULL,
    jti        text   NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, client_id, jti)
);
CREATE INDEX client_assertions_by_expiry ON client_assertions (tenant_id, expires_at);

CREATE TABLE device_codes (
    tenant_id        text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    device_code_hash bytea  NOT NULL CHECK (length(device_code_hash) = 32),
    user_code        text   NOT NULL,
    grant_id         text   NOT NULL,
    client_id        text   NOT NULL,
    scope            text   NOT NULL,
    status           text   NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    user_id          text,
    session_id       text,
    auth_time        bigint,
    interval_secs    bigint NOT NULL,
    last_poll_at     bigint,
    consumed_at      bigint,
    created_at       bigint NOT NULL,
    expires_at       bigint NOT NULL,
    PRIMARY KEY (tenant_id, device_code_hash),
    UNIQUE (tenant_id, user_code)
);
CREATE INDEX device_codes_by_expiry ON device_codes (tenant_id, expires_at);

CREATE TABLE session_clients (
    tenant_id  text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    session_id text   NOT NULL,
    client_id  text   NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, session_id, client_id)
);
CREATE INDEX session_clients_by_age ON session_clients (tenant_id, created_at);

CREATE TABLE pushed_requests (
    tenant_id        text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    request_uri_hash bytea  NOT NULL CHECK (length(request_uri_hash) = 32),
    client_id        text   NOT NULL,
    params           text   NOT NULL,
    expires_at       bigint NOT NULL,
    PRIMARY KEY (tenant_id, request_uri_hash)
);
CREATE INDEX pushed_requests_by_expiry ON pushed_requests (tenant_id, expires_at);

CREATE TABLE logout_deliveries (
    tenant_id       text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id              text   NOT NULL,
    client_id       text   NOT NULL,
    uri             text   NOT NULL,
    session_id      text   NOT NULL,
    user_id         text   NOT NULL,
    attempts        bigint NOT NULL CHECK (attempts >= 0),
    created_at      bigint NOT NULL,
    next_attempt_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX logout_deliveries_due ON logout_deliveries (tenant_id, next_attempt_at);
CREATE INDEX logout_deliveries_by_age ON logout_deliveries (tenant_id, created_at);

-- Failed password logins, shared by every instance (idp-core
-- abuse::shared): one row per counter, keyed by a SHA-256 hash of the
-- canonical account (and address), never the typed email.
CREATE TABLE login_failures (
    tenant_id       text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    key             text   NOT NULL,
    failures        bigint NOT NULL,
    last_failure_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX login_failures_by_age ON login_failures (tenant_id, last_failure_at);

-- Row-level security: one policy per table of tenant data.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['signing_keys', 'clients', 'users', 'sessions', 'interactions',
        'consents', 'codes', 'refresh_tokens', 'revoked_access_tokens', 'revoked_grants',
        'client_assertions', 'device_codes', 'session_clients', 'pushed_requests',
        'logout_deliveries', 'login_failures']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I
               USING (tenant_id = current_setting(''idp.tenant'', true))
               WITH CHECK (tenant_id = current_setting(''idp.tenant'', true))', t);
    END LOOP;
END $$;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = current_setting('idp.tenant', true)
           OR current_setting('idp.registry', true) = 'on')
    WITH CHECK (id = current_setting('idp.tenant', true)
                OR current_setting('idp.registry', true) = 'on');

-- Distinct users with a live session, across tenants (metrics).
CREATE FUNCTION idp_active_users(at bigint) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT count(*) FROM (
        SELECT DISTINCT s.tenant_id, s.user_id FROM @SCHEMA@.sessions s
        WHERE s.expires_at > at AND s.ended_at IS NULL AND s.revoked_at IS NULL
    ) live
$$;

-- Users written without an email key (none are, on PostgreSQL: the core
-- writes canonical emails); the start-up check asks anyway.
CREATE FUNCTION idp_unindexed_emails()
    RETURNS TABLE (tenant_id text, user_id text, email text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT u.tenant_id, u.id, u.email FROM @SCHEMA@.users u WHERE u.email_key IS NULL
    ORDER BY u.created_at
$$;

-- Caches of other instances learn of changes to tenants, their keys and
-- clients on commit (LISTEN idp_changes): "tenant <id>" or
-- "client <tenant id> <client id>".
CREATE FUNCTION idp_notify_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE row record;
BEGIN
    IF TG_OP = 'DELETE' THEN row := OLD; ELSE row := NEW; END IF;
    IF TG_TABLE_NAME = 'tenants' THEN
        PERFORM pg_notify('idp_changes', 'tenant ' || row.id);
    ELSIF TG_TABLE_NAME = 'signing_keys' THEN
        PERFORM pg_notify('idp_changes', 'tenant ' || row.tenant_id);
    ELSE
        PERFORM pg_notify('idp_changes', 'client ' || row.tenant_id || ' ' || row.id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER tenants_changed AFTER UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION idp_notify_change();
CREATE TRIGGER signing_keys_changed AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION idp_notify_change();
CREATE TRIGGER clients_changed AFTER UPDATE OR DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION idp_notify_change();
