-- idp schema for PostgreSQL, version 4: one-time set-up links (issue 17).
-- The platform owner created without a password chooses one through a
-- link valid one hour and once. Only the token's SHA-256 is stored.
-- Tenant data: tenant_id first, cascading from the tenant and the user,
-- the usual policy on `idp.tenant` (ADR 0027).
CREATE TABLE setup_links (
    tenant_id  text   NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    token_hash text   NOT NULL,
    user_id    text   NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    used_at    bigint,
    PRIMARY KEY (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX setup_links_by_user ON setup_links (tenant_id, user_id, expires_at);

ALTER TABLE setup_links ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON setup_links
    USING (tenant_id = current_setting('idp.tenant', true))
    WITH CHECK (tenant_id = current_setting('idp.tenant', true));
