-- idp schema for PostgreSQL, version 5: tiers (issue 17).
--
-- tiers: named limits an operator assigns to tenants; a NULL limit is
-- unlimited. A platform table (no tenant's rows): like api_keys, only the
-- registry scope reads or writes it. tenants.tier names at most one (NULL:
-- none, unlimited); the foreign key refuses deleting a tier a tenant still
-- names, also against a racing assignment. A limited create counts under a
-- per-tenant advisory lock in its own transaction (`audited::make`).
CREATE TABLE tiers (
    name          text   NOT NULL PRIMARY KEY,
    max_users     bigint CHECK (max_users IS NULL OR max_users >= 0),
    max_clients   bigint CHECK (max_clients IS NULL OR max_clients >= 0),
    max_upstreams bigint CHECK (max_upstreams IS NULL OR max_upstreams >= 0),
    max_api_keys  bigint CHECK (max_api_keys IS NULL OR max_api_keys >= 0),
    created_at    bigint NOT NULL,
    updated_at    bigint NOT NULL
);

ALTER TABLE tiers ENABLE ROW LEVEL SECURITY;
CREATE POLICY platform_only ON tiers
    USING (current_setting('idp.registry', true) = 'on')
    WITH CHECK (current_setting('idp.registry', true) = 'on');

ALTER TABLE tenants ADD COLUMN tier text REFERENCES tiers (name);
CREATE INDEX tenants_by_tier ON tenants (tier) WHERE tier IS NOT NULL;
CREATE INDEX api_keys_by_tenant ON api_keys (tenant) WHERE revoked_at IS NULL;
